// Errors from libpq results and connection state.
#include "core/pg/libpq_error.hpp"

#include <fmt/format.h>

#include <string>

#include "core/pg/errors.hpp"

namespace tapedeck::pg::detail {

namespace {

std::string_view trimmed(const char* text) {
  if (text == nullptr) return {};
  std::string_view view(text);
  while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) view.remove_suffix(1);
  return view;
}

Recovery recovery_for(PGconn* conn, std::string_view sqlstate) {
  if (!sqlstate.empty()) return classify_sqlstate(sqlstate);
  const bool gone = conn == nullptr || PQstatus(conn) == CONNECTION_BAD;
  return gone ? Recovery::retry : Recovery::fail;
}

}  // namespace

Error result_error(PGconn* conn, const PGresult* result, std::string_view doing) {
  if (result == nullptr) return connection_error(conn, doing);
  const std::string_view sqlstate = trimmed(PQresultErrorField(result, PG_DIAG_SQLSTATE));
  std::string_view primary = trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
  if (primary.empty()) primary = trimmed(PQresultErrorMessage(result));
  if (primary.empty()) primary = trimmed(PQerrorMessage(conn));
  if (primary.empty()) primary = "no error message";
  std::string message = fmt::format("{}: {}", doing, primary);
  const std::string_view detail = trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL));
  const std::string_view hint = trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_HINT));
  if (!detail.empty()) message += fmt::format(" (detail: {})", detail);
  if (!hint.empty()) message += fmt::format(" (hint: {})", hint);
  return Error(ErrorSource::postgres, recovery_for(conn, sqlstate), std::move(message),
               std::string(sqlstate));
}

Error connection_error(PGconn* conn, std::string_view doing) {
  std::string_view text = conn != nullptr ? trimmed(PQerrorMessage(conn)) : std::string_view();
  if (text.empty()) text = "connection lost";
  return Error(ErrorSource::postgres, recovery_for(conn, {}), fmt::format("{}: {}", doing, text));
}

}  // namespace tapedeck::pg::detail
