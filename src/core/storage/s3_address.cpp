// S3 endpoint parsing and request addressing (path style and virtual-host style).
#include "core/storage/s3_address.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/storage/sigv4.hpp"

namespace tapedeck::storage {

S3Endpoint parse_s3_endpoint(std::string_view endpoint, std::string_view region) {
  const std::string text =
      endpoint.empty() ? fmt::format("https://s3.{}.amazonaws.com", region) : std::string(endpoint);
  const auto scheme_end = text.find("://");
  S3Endpoint parsed;
  parsed.scheme = scheme_end == std::string::npos ? "" : text.substr(0, scheme_end);
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("S3 endpoint \"{}\" must start with http:// or https://", text));
  }
  parsed.authority = text.substr(scheme_end + 3);
  if (const auto slash = parsed.authority.find('/'); slash != std::string::npos) {
    if (parsed.authority.find_first_not_of('/', slash) != std::string::npos) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("S3 endpoint \"{}\" must not have a path", text));
    }
    parsed.authority.resize(slash);
  }
  if (parsed.authority.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("S3 endpoint \"{}\" has no host", text));
  }
  return parsed;
}

S3Address s3_address(const S3Endpoint& endpoint, std::string_view bucket, std::string_view object,
                     bool path_style) {
  S3Address address;
  if (path_style) {
    address.host = endpoint.authority;
    address.path = fmt::format("/{}", bucket);
    if (!object.empty()) address.path += fmt::format("/{}", object);
  } else {
    address.host = fmt::format("{}.{}", bucket, endpoint.authority);
    address.path = fmt::format("/{}", object);
  }
  address.url = fmt::format("{}://{}{}", endpoint.scheme, address.host,
                            sigv4::uri_encode(address.path, true));
  return address;
}

}  // namespace tapedeck::storage
