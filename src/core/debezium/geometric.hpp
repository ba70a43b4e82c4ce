// Geometric values: PostgreSQL's point as io.debezium.data.geometry.Point {x, y, wkb, srid}.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::debezium {

// point's text output "(x,y)" -> its coordinates; false when it is not one.
bool parse_pg_point(std::string_view text, double& x, double& y);

// The Point's wkb: little-endian OGC Well-Known Binary of a 2D point (21 bytes).
std::string point_wkb(double x, double y);

// Reads the coordinates back from a Point's wkb; false when it is not a little-endian 2D point.
bool parse_point_wkb(std::string_view wkb, double& x, double& y);

}  // namespace tapedeck::debezium
