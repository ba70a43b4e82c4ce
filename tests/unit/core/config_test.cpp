#include "core/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace tapedeck::config {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("tapedeck-config-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // The message of the config error that loading `text` throws.
  std::string error_of(const std::string& text, const Environment& environment = {}) {
    try {
      Config::load(write(text), environment);
    } catch (const Error& error) {
      EXPECT_EQ(error.source(), ErrorSource::config);
      return error.what();
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return {};
  }

  std::filesystem::path path_;
};

TEST(Config, HasABuiltInDefaultForEveryKey) {
  const auto config = Config::load(std::nullopt, {});
  EXPECT_EQ(config.string("nats.cdc_stream"), "TAPEDECK_CDC");
  EXPECT_EQ(config.integer("transform.batch_size"), 2000);
  EXPECT_EQ(config.duration("timekeeper.interval"), std::chrono::seconds(1));
  EXPECT_TRUE(config.boolean("capture.schemas_enable"));
  EXPECT_TRUE(config.string_list("capture.include_tables").empty());
  EXPECT_EQ(config.origin("live.dsn"), Origin::built_in);
}

TEST_F(ConfigFile, ReadsSectionsAndKeys) {
  const auto config = Config::load(write(R"(
[live]
dsn = "host=db dbname=live"
[transform]
batch_size = 250
ack_wait = "45s"
[capture]
include_tables = ["public.devices", "public.alarms"]
)"),
                                   {});
  EXPECT_EQ(config.string("live.dsn"), "host=db dbname=live");
  EXPECT_EQ(config.origin("live.dsn"), Origin::file);
  EXPECT_EQ(config.integer("transform.batch_size"), 250);
  EXPECT_EQ(config.duration("transform.ack_wait"), std::chrono::seconds(45));
  EXPECT_EQ(config.string_list("capture.include_tables"),
            (std::vector<std::string>{"public.devices", "public.alarms"}));
}

TEST_F(ConfigFile, LetsTheEnvironmentOverrideEveryKey) {
  const auto config = Config::load(write("[transform]\nbatch_size = 250\n"),
                                   {{"TAPEDECK_TRANSFORM_BATCH_SIZE", "42"},
                                    {"TAPEDECK_CAPTURE_EXCLUDE_TABLES", "public.a, public.b"},
                                    {"TAPEDECK_PLAYBACK_DROP_ON_END", "no"}});
  EXPECT_EQ(config.integer("transform.batch_size"), 42);
  EXPECT_EQ(config.origin("transform.batch_size"), Origin::environment);
  EXPECT_EQ(config.string_list("capture.exclude_tables"),
            (std::vector<std::string>{"public.a", "public.b"}));
  EXPECT_FALSE(config.boolean("playback.drop_on_end"));
}

TEST_F(ConfigFile, NamesAnUnknownKeyAndListsTheKnownOnes) {
  const auto message = error_of("[transform]\nbatch_sise = 3\n");
  EXPECT_NE(message.find("unknown key transform.batch_sise"), std::string::npos) << message;
  EXPECT_NE(message.find("batch_size"), std::string::npos) << message;
}

TEST_F(ConfigFile, NamesAnUnknownSection) {
  EXPECT_NE(error_of("[transfrom]\nbatch_size = 3\n").find("unknown section [transfrom]"),
            std::string::npos);
}

TEST_F(ConfigFile, NamesTheKeyWhoseValueHasTheWrongType) {
  const auto message = error_of("[transform]\nbatch_size = \"many\"\n");
  EXPECT_NE(message.find("transform.batch_size"), std::string::npos) << message;
  EXPECT_NE(message.find("expected an integer"), std::string::npos) << message;
}

TEST_F(ConfigFile, NamesTheKeyAndVariableOfABadEnvironmentValue) {
  const auto message = error_of("", {{"TAPEDECK_TIMEKEEPER_INTERVAL", "soon"}});
  EXPECT_NE(message.find("timekeeper.interval"), std::string::npos) << message;
  EXPECT_NE(message.find("TAPEDECK_TIMEKEEPER_INTERVAL"), std::string::npos) << message;
}

TEST_F(ConfigFile, RefusesAValueOutsideTheChoices) {
  const auto message = error_of("[capture]\ndecimal_handling_mode = \"exact\"\n");
  EXPECT_NE(message.find("capture.decimal_handling_mode"), std::string::npos) << message;
  EXPECT_NE(message.find("precise|string|double"), std::string::npos) << message;
}

TEST_F(ConfigFile, PointsAtTheLineOfASyntaxError) {
  const auto message = error_of("[live]\ndsn = \"unterminated\n");
  EXPECT_NE(message.find(":2:"), std::string::npos) << message;
}

TEST_F(ConfigFile, NeverPrintsSecrets) {
  const auto config = Config::load(write(R"(
[live]
dsn = "host=db password=hunter2 dbname=live"
[nats]
url = "nats://user:s3cret@127.0.0.1:4222"
[s3]
secret_key = "wJalrXUtnFEMI"
[replaymgr]
api_token = "tok-123"
)"),
                                   {});
  const auto text = config.describe();
  for (const char* secret : {"hunter2", "s3cret", "wJalrXUtnFEMI", "tok-123"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in\n" << text;
  }
  EXPECT_NE(text.find("password=****"), std::string::npos) << text;
}

TEST_F(ConfigFile, RefusesAMisspeltVariableAndNamesTheClosestKey) {
  const auto message = error_of("", {{"TAPEDECK_TRANSFORM_BATCHSIZE", "10"}});
  EXPECT_NE(message.find("unknown environment variable TAPEDECK_TRANSFORM_BATCHSIZE"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean TAPEDECK_TRANSFORM_BATCH_SIZE?"), std::string::npos)
      << message;
}

TEST_F(ConfigFile, LeavesOtherPrefixesAndTheReservedTapedeckVariablesAlone) {
  const auto config = Config::load(write(""), {{"TAPEDECKX", "1"},
                                               {"PATH", "/bin"},
                                               {"TAPEDECK_STACK_DIR", "/tmp/stack"},
                                               {"TAPEDECK_TEST_SEED", "7"},
                                               {"TAPEDECK_TRANSFORM_BATCH_SIZE", "10"}});
  EXPECT_EQ(config.integer("transform.batch_size"), 10);
}

class SecretFile : public ConfigFile {
 protected:
  std::string secret_path(const std::string& contents) {
    secret_ = std::filesystem::temp_directory_path() /
              ("tapedeck-secret-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(secret_) << contents;
    return secret_.string();
  }
  void TearDown() override {
    ConfigFile::TearDown();
    std::filesystem::remove(secret_);
  }
  std::filesystem::path secret_;
};

TEST_F(SecretFile, ReadsASecretFromTheFileNamedByItsFileKey) {
  const auto file = secret_path("wJalrXUtnFEMI\n");
  const auto config = Config::load(write("[s3]\nsecret_key_file = \"" + file + "\"\n"), {});
  EXPECT_EQ(config.string("s3.secret_key"), "wJalrXUtnFEMI");
  EXPECT_EQ(config.origin("s3.secret_key"), Origin::file);
}

TEST_F(SecretFile, ReadsASecretFromTheFileNamedByItsFileVariable) {
  const auto file = secret_path("tok-123");
  const auto config = Config::load(write(""), {{"TAPEDECK_REPLAYMGR_API_TOKEN_FILE", file}});
  EXPECT_EQ(config.string("replaymgr.api_token"), "tok-123");
  EXPECT_EQ(config.origin("replaymgr.api_token"), Origin::environment);
}

TEST_F(SecretFile, RefusesASecretGivenTwiceOrAFileThatCannotBeRead) {
  EXPECT_NE(error_of("[s3]\nsecret_key = \"a\"\nsecret_key_file = \"/x\"\n").find("keep one"),
            std::string::npos);
  const auto both = error_of(
      "", {{"TAPEDECK_S3_SECRET_KEY", "a"}, {"TAPEDECK_S3_SECRET_KEY_FILE", secret_path("b")}});
  EXPECT_NE(both.find("keep one"), std::string::npos) << both;
  const auto missing = error_of("", {{"TAPEDECK_S3_SECRET_KEY_FILE", "/nonexistent/secret"}});
  EXPECT_NE(missing.find("cannot read the file /nonexistent/secret"), std::string::npos) << missing;
}

TEST_F(SecretFile, OffersNoFileFormForKeysThatAreNotSecret) {
  const auto message = error_of("[transform]\nbatch_size_file = \"/x\"\n");
  EXPECT_NE(message.find("unknown key transform.batch_size_file"), std::string::npos) << message;
}

TEST(Config, FindsTheFileThroughTapedeckConfigWhenNoFlagIsGiven) {
  EXPECT_THROW(Config::load_default(std::nullopt, {{"TAPEDECK_CONFIG", "/nonexistent/x.toml"}}),
               Error);
  EXPECT_NO_THROW(Config::load_default(std::nullopt, {}));
}

TEST(Durations, ParseAndPrintInTheSameUnits) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("7d"), std::chrono::hours(168));
  EXPECT_FALSE(parse_duration("10 s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("fast"));
  EXPECT_EQ(format_duration(std::chrono::minutes(5)), "5m");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
}

TEST(MaskSecrets, HidesDsnAndUrlPasswords) {
  EXPECT_EQ(mask_secrets("host=x password='a b' user=u"), "host=x password=**** user=u");
  EXPECT_EQ(mask_secrets("postgres://u:pw@h/db"), "postgres://u:****@h/db");
  EXPECT_EQ(mask_secrets("host=x user=u"), "host=x user=u");
}

TEST(EnvName, IsUpperCaseWithUnderscores) {
  EXPECT_EQ(env_name("capture.slot_name"), "TAPEDECK_CAPTURE_SLOT_NAME");
}

}  // namespace
}  // namespace tapedeck::config
