// PostgreSQL error classification.
#include "core/pg/errors.hpp"

namespace tapedeck::pg {

Recovery classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.empty()) return Recovery::retry;
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "53") return Recovery::retry;
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") return Recovery::retry;
  if (sqlstate == "40001" || sqlstate == "40P01") return Recovery::retry;
  return Recovery::fail;
}

std::string shorten_sql(std::string_view sql, std::size_t max_chars) {
  std::string out;
  out.reserve(sql.size() < max_chars ? sql.size() : max_chars + 3);
  bool pending_space = false;
  for (const char c : sql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(c);
    if (out.size() > max_chars) {
      out.resize(max_chars);
      out += "...";
      return out;
    }
  }
  return out;
}

}  // namespace tapedeck::pg
