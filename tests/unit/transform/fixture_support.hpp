// Shared helpers for the transform tests: fixture files and the catalogs they need.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "transform/table_info.hpp"

namespace tapedeck::transform::testing {

inline std::string fixture(const std::string& name) {
  std::ifstream file(std::string(TAPEDECK_FIXTURE_DIR) + "/debezium/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

inline std::vector<std::string> fixture_lines(const std::string& name) {
  std::istringstream text(fixture(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// inventory.products of the Flink fixtures.
inline TableInfo products(bool keyed = true) {
  return TableInfo("inventory", "products",
                   {{"id", "integer"},
                    {"name", "character varying(255)"},
                    {"description", "character varying(512)"},
                    {"weight", "double precision"}},
                   keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{}, true);
}

inline TableInfo customers(const std::string& schema) {
  return TableInfo(schema, "customers",
                   {{"id", "integer"},
                    {"first_name", "character varying(255)"},
                    {"last_name", "character varying(255)"},
                    {"email", "character varying(255)"},
                    {"biography", "text"}},
                   {"id"}, false);
}

inline TableInfo orderline() {
  return TableInfo("inventory", "orderline",
                   {{"id", "integer"},
                    {"item", "character varying(255)"},
                    {"quantity", "integer"},
                    {"status", "character varying(20)"},
                    {"totalprice", "numeric(10,2)"},
                    {"order_id", "integer"}},
                   {"id"}, false);
}

inline TableInfo purchaseorder() {
  return TableInfo(
      "inventory", "purchaseorder",
      {{"id", "integer"}, {"customerid", "integer"}, {"orderdate", "timestamp without time zone"}},
      {"id"}, false);
}

}  // namespace tapedeck::transform::testing
