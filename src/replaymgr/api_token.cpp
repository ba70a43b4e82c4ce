// The API token: the configured one, or the token file's, written once.
#include "replaymgr/api_token.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.hpp"

namespace tapedeck::replaymgr {

namespace {

constexpr std::size_t kTokenBytes = 32;

Error file_error(const std::filesystem::path& file, std::string_view doing) {
  return Error(ErrorSource::config, Recovery::invalid,
               fmt::format("cannot {} the API token file {} (replaymgr.token_file): {}", doing,
                           file.string(), std::strerror(errno)));
}

std::string random_token() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::array<unsigned char, kTokenBytes> bytes{};
  if (!urandom.read(reinterpret_cast<char*>(bytes.data()), bytes.size())) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "cannot read /dev/urandom for a new API token");
  }
  std::string token;
  for (const unsigned char byte : bytes) token += fmt::format("{:02x}", byte);
  return token;
}

// The token in `file`, or nothing when there is no such file. Refuses a file its group or
// others may read or write: the token would no longer be a secret.
std::optional<std::string> read_token_file(const std::filesystem::path& file) {
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw file_error(file, "inspect");
  }
  if ((status.st_mode & 077) != 0) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("the API token file {} may be used by other users (mode {:04o}); "
                            "run `chmod 600 {}`",
                            file.string(), status.st_mode & 07777, file.string()));
  }
  std::ifstream in(file);
  if (!in) throw file_error(file, "read");
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = content.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("the API token file {} is empty; delete it and replaymgr writes a "
                            "new one",
                            file.string()));
  }
  return token;
}

// Writes a new token into `file` unless another process was first; returns the file's token.
std::string create_token_file(const std::filesystem::path& file) {
  const auto folder = file.parent_path();
  if (!folder.empty() && !std::filesystem::exists(folder)) {
    std::filesystem::create_directories(folder.parent_path());
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
      throw file_error(file, "create the folder of");
    }
  }
  // O_EXCL: of two replaymgrs starting at once, one writes and both use its token.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      if (auto token = read_token_file(file)) return *token;
    }
    throw file_error(file, "create");
  }
  const std::string token = random_token();
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    const int saved = errno;
    std::filesystem::remove(file);
    errno = saved;
    throw file_error(file, "write");
  }
  return token;
}

}  // namespace

std::filesystem::path token_file(const config::Config& config) {
  const std::string& setting = config.string("replaymgr.token_file");
  if (setting.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("replaymgr.token_file = \"{}\" needs $HOME, which is not set; "
                              "give an absolute path",
                              setting));
    }
    return std::filesystem::path(home) / setting.substr(2);
  }
  return setting;
}

ServerToken server_token(const config::Config& config) {
  const std::string& configured = config.string("replaymgr.api_token");
  const bool open = config.boolean("replaymgr.open");
  if (!configured.empty() && open) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "replaymgr.open serves the API without a token, but replaymgr.api_token sets "
                "one: unset one of them");
  }
  if (!configured.empty()) return {configured, "replaymgr.api_token"};
  if (open) return {{}, "replaymgr.open"};
  const auto file = token_file(config);
  if (auto token = read_token_file(file)) return {*token, file.string()};
  return {create_token_file(file), file.string()};
}

std::string client_token(const config::Config& config) {
  const std::string& configured = config.string("replaymgr.api_token");
  if (!configured.empty()) return configured;
  if (config.boolean("replaymgr.open")) return {};
  return read_token_file(token_file(config)).value_or(std::string());
}

}  // namespace tapedeck::replaymgr
