// Connection string masking through libpq's own parser, so both syntaxes are understood.
#include "core/pg/dsn.hpp"

#include <libpq-fe.h>

#include <memory>

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

}  // namespace

std::string mask_dsn(std::string_view dsn) {
  char* error = nullptr;
  const std::string text(dsn);
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(text.c_str(), &error));
  if (error != nullptr) PQfreemem(error);
  if (!options) return "<unparseable connection string>";
  std::string out;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    if (!out.empty()) out.push_back(' ');
    out += option->keyword;
    out.push_back('=');
    const bool secret = option->dispchar != nullptr && option->dispchar[0] == '*';
    if (secret) {
      out += "********";
    } else {
      append_value(out, option->val);
    }
  }
  return out;
}

}  // namespace tapedeck::pg
