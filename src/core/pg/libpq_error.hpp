// Internal to src/core/pg: tapedeck::Error built from what libpq reports.
#pragma once

#include <libpq-fe.h>

#include <string_view>

#include "core/error.hpp"

namespace tapedeck::pg::detail {

// The error of a failed result: "<doing>: <server message> (detail: ..., hint: ...)",
// SQLSTATE as code, recovery by classify_sqlstate. A failure libpq met itself (no
// SQLSTATE) is retry when the connection is gone and fail otherwise. `result` may be null.
Error result_error(PGconn* conn, const PGresult* result, std::string_view doing);

// The same for a failure with no result at all (PQerrorMessage of the connection).
Error connection_error(PGconn* conn, std::string_view doing);

}  // namespace tapedeck::pg::detail
