// Connection string masking and re-targeting through libpq's own parser, so both syntaxes
// are understood.
#include "core/pg/dsn.hpp"

#include <libpq-fe.h>

#include <memory>

#include "core/error.hpp"

namespace tapedeck::pg {

namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

void append_value(std::string& out, std::string_view value) {
  const bool plain =
      !value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string_view::npos;
  if (plain) {
    out += value;
    return;
  }
  out.push_back('\'');
  for (const char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoFree>;

bool is_secret(const PQconninfoOption& option) {
  return option.dispchar != nullptr && option.dispchar[0] == '*';
}

// Parses `dsn` with libpq; null when it cannot be parsed. libpq's error text is dropped on
// purpose: it may quote the connection string.
ConninfoPtr parse(std::string_view dsn) {
  char* error = nullptr;
  const std::string text(dsn);
  ConninfoPtr options(PQconninfoParse(text.c_str(), &error));
  if (error != nullptr) PQfreemem(error);
  return options;
}

std::string retarget(std::string_view dsn, std::string_view dbname, bool keep_secrets) {
  if (dbname.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "cannot point a connection string at an empty database name");
  }
  const ConninfoPtr options = parse(dsn);
  if (!options) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "cannot parse the connection string; check its key=value or postgresql:// syntax");
  }
  std::string out;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string_view(option->keyword) == "dbname") continue;
    if (!keep_secrets && is_secret(*option)) continue;
    if (!out.empty()) out.push_back(' ');
    out += option->keyword;
    out.push_back('=');
    append_value(out, option->val);
  }
  if (!out.empty()) out.push_back(' ');
  out += "dbname=";
  append_value(out, dbname);
  return out;
}

}  // namespace

std::string mask_dsn(std::string_view dsn) {
  const ConninfoPtr options = parse(dsn);
  if (!options) return "<unparseable connection string>";
  std::string out;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    if (!out.empty()) out.push_back(' ');
    out += option->keyword;
    out.push_back('=');
    if (is_secret(*option)) {
      out += "********";
    } else {
      append_value(out, option->val);
    }
  }
  return out;
}

std::string with_dbname(std::string_view dsn, std::string_view dbname) {
  return retarget(dsn, dbname, /*keep_secrets=*/true);
}

std::string with_dbname_without_secrets(std::string_view dsn, std::string_view dbname) {
  return retarget(dsn, dbname, /*keep_secrets=*/false);
}

}  // namespace tapedeck::pg
