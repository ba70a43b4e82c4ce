// The printed forms of a verification and its result names (no server).
#include "core/backups/verification_record.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tapedeck::backups {
namespace {

Verification diverged() {
  Verification verification;
  verification.id = 4;
  verification.older_backup_id = 6;
  verification.newer_backup_id = 7;
  verification.covers_from = "2026-01-01T00:00:00.000000Z";
  verification.covers_until = "2026-01-01T06:00:00.000000Z";
  verification.result = VerifyResult::diverged;
  verification.reason = "1 table differs: public.items (id=17: differs)";
  verification.statements = 120;
  verification.tables = {{"public", "items", "differs", 50, 50, "id=17: differs"}};
  return verification;
}

TEST(VerifyResult, NamesRoundTripAndUnknownNamesAreRefused) {
  for (const auto result : {VerifyResult::ok, VerifyResult::diverged, VerifyResult::failed}) {
    EXPECT_EQ(parse_verify_result(to_string(result)), result);
  }
  EXPECT_EQ(parse_verify_result("OK"), std::nullopt);
}

TEST(VerificationJson, CarriesTheWindowTheResultAndEachDivergingTable) {
  const auto json = nlohmann::json::parse(verification_to_json(diverged()));
  EXPECT_EQ(json.at("older_backup_id"), 6);
  EXPECT_EQ(json.at("newer_backup_id"), 7);
  EXPECT_EQ(json.at("covers_from"), "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(json.at("result"), "diverged");
  ASSERT_EQ(json.at("tables").size(), 1u);
  EXPECT_EQ(json.at("tables")[0].at("first_difference"), "id=17: differs");
  EXPECT_EQ(nlohmann::json::parse(verifications_to_json({diverged(), diverged()})).size(), 2u);
}

TEST(VerificationText, IsTheVerdictLineThenALinePerDivergingTable) {
  EXPECT_EQ(
      verification_to_text(diverged()),
      "verification 4: diverged — backup 6 caught up to backup 7 (2026-01-01T00:00:00.000000Z "
      "to 2026-01-01T06:00:00.000000Z, 120 statements): 1 table differs: public.items "
      "(id=17: differs)\n"
      "  public.items: differs (50 rows expected, 50 found); first differing key id=17: "
      "differs\n");
}

TEST(VerifiedWindow, CoversItsBothEnds) {
  const VerifiedWindow window{100, 200};
  EXPECT_TRUE(window.covers(100));
  EXPECT_TRUE(window.covers(200));
  EXPECT_FALSE(window.covers(99));
  EXPECT_FALSE(window.covers(201));
}

}  // namespace
}  // namespace tapedeck::backups
