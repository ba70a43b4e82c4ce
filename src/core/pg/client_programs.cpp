// Finding PostgreSQL client programs and their libpq environment.
#include "core/pg/client_programs.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/money_locale.hpp"

namespace tapedeck::pg {

namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

std::string find_client_program(std::string_view name, int server_major) {
  const std::filesystem::path versioned =
      fmt::format("/usr/lib/postgresql/{}/bin/{}", server_major, name);
  if (::access(versioned.c_str(), X_OK) == 0) return versioned.string();
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string folder(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
      if (folder.empty()) continue;
      const auto candidate = std::filesystem::path(folder) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw Error(ErrorSource::config, Recovery::not_found,
              fmt::format("{} not found in {} nor in PATH; install postgresql-client-{}", name,
                          versioned.parent_path().string(), server_major));
}

std::vector<std::string> libpq_environment(std::string_view dsn, std::string_view setting) {
  char* error = nullptr;
  const std::string dsn_text(dsn);
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(
      PQconninfoParse(dsn_text.c_str(), &error));
  if (!options) {
    std::string reason = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    throw Error(
        ErrorSource::config, Recovery::invalid,
        fmt::format("the connection string cannot be parsed ({}); fix {}",
                    reason.find('=') == std::string::npos ? reason : "syntax error", setting));
  }
  std::vector<std::string> environment;
  // The DSN's options, else the inherited PGOPTIONS, with money's one locale last (it wins).
  const char* inherited_options = std::getenv("PGOPTIONS");
  std::string options_value = inherited_options != nullptr ? inherited_options : "";
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || option->envvar == nullptr) continue;
    if (std::string_view(option->keyword) == "options") {
      options_value = option->val;
      continue;
    }
    environment.push_back(fmt::format("{}={}", option->envvar, option->val));
  }
  if (!options_value.empty()) options_value += ' ';
  options_value += kMoneyLocaleOption;
  environment.push_back("PGOPTIONS=" + options_value);
  return environment;
}

}  // namespace tapedeck::pg
