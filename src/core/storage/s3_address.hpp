// Where an S3 request goes: the endpoint's parts and, for each addressing style, the URL, the Host
// header and the path SigV4 signs. Pure functions, so both styles are tested without a server.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::storage {

// An endpoint split into what a request needs.
struct S3Endpoint {
  std::string scheme;     // "http" or "https"
  std::string authority;  // host[:port]
};

// "http://127.0.0.1:9000" or "https://s3.example.com/" (trailing '/' allowed); an empty endpoint
// means AWS: "https://s3.<region>.amazonaws.com". Throws Error(config, invalid) for another
// scheme, a path or a missing host.
S3Endpoint parse_s3_endpoint(std::string_view endpoint, std::string_view region);

struct S3Address {
  std::string host;  // the Host header: host[:port] of the endpoint, or <bucket>. before it
  std::string path;  // decoded, as SigV4 signs it: "/bucket/a b" (path style) or "/a b"
  std::string url;   // scheme://host and the URI-encoded path, without a query
};

// The address of `object` in `bucket` ("" addresses the bucket itself). Path style puts the bucket
// in the path (<endpoint>/<bucket>/<object>), virtual-host style in the host name
// (<bucket>.<endpoint host>/<object>).
S3Address s3_address(const S3Endpoint& endpoint, std::string_view bucket, std::string_view object,
                     bool path_style);

}  // namespace tapedeck::storage
