// The text form: which built-in types travel as PostgreSQL's text output, and telling that
// output apart from Debezium's encodings of the same columns.
#include "core/debezium/text_form.hpp"

#include "core/debezium/temporal.hpp"

namespace tapedeck::debezium {

bool is_text_form_builtin(std::uint32_t type_oid) {
  switch (type_oid) {
    case 601:   // lseg
    case 602:   // path
    case 603:   // box
    case 604:   // polygon
    case 628:   // line
    case 718:   // circle
    case 1562:  // varbit
    case 3220:  // pg_lsn
    case 3615:  // tsquery
    case 4451:  // int4multirange
    case 4532:  // nummultirange
    case 4533:  // tsmultirange
    case 4534:  // tstzmultirange
    case 4535:  // datemultirange
    case 4536:  // int8multirange
      return true;
    default:
      return false;
  }
}

bool is_array_text_form(std::string_view text) {
  return !text.empty() && (text.front() == '{' || text.front() == '[');
}

bool is_timetz_text_form(std::string_view text) {
  std::int64_t micros = 0;
  std::int64_t offset_seconds = 0;
  return parse_pg_timetz(text, micros, offset_seconds);
}

}  // namespace tapedeck::debezium
