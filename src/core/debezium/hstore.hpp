// hstore as Debezium's hstore.handling.mode=json writes it: a JSON object of strings (or
// nulls) in a Connect string, e.g. "{\"a\":\"1\",\"b\":null}". Capture builds that JSON with
// its JSON writer (capture/value_codec); this is the way back to hstore input text.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::debezium {

// Appends the hstore input text of `json_object` ({"k":"v","n":null}) to `out`:
// "k"=>"v", "n"=>NULL, with '"' and '\' backslash-escaped in keys and values. False (and
// `why` set, `out` unchanged) when it is not a JSON object whose values are strings or null.
bool append_pg_hstore(std::string& out, std::string_view json_object, std::string& why);

}  // namespace tapedeck::debezium
