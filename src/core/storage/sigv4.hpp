// AWS Signature Version 4 as pure functions: canonical request, string to sign, signature.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/storage/sha256.hpp"

namespace tapedeck::storage::sigv4 {

// The hex SHA-256 of an empty payload, and the marker for a payload left out of the signature.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key;
  std::string secret_key;
};

// What the signature covers. Everything is given decoded (raw); the signer encodes.
struct Request {
  std::string method;
  std::string path = "/";                                     // e.g. "/bucket/some key"
  std::vector<std::pair<std::string, std::string>> query;     // name, value; order irrelevant
  std::vector<std::pair<std::string, std::string>> headers;   // all of them are signed
  std::string payload_hash = std::string(kEmptyPayloadHash);  // hex SHA-256 or UNSIGNED-PAYLOAD
};

struct Scope {
  std::string region;
  std::string service;
};

// Each intermediate step, so a rejected request can be compared with what the server expected.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // hex
  std::string signed_headers;  // "host;x-amz-date"
  std::string authorization;   // the Authorization header's value
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~) stay,
// every other byte becomes %XX (upper-case hex); '/' stays when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

// "20150830T123600Z" and "20150830" for an instant (UTC).
std::string amz_datetime(std::chrono::system_clock::time_point when);
std::string amz_date(std::chrono::system_clock::time_point when);

// The pieces, each exactly as AWS documents it.
std::string canonical_query(const Request& request);
std::string canonical_headers(const Request& request);  // "name:value\n" lines
std::string signed_headers(const Request& request);
std::string canonical_request(const Request& request);
std::string credential_scope(std::string_view date, const Scope& scope);
std::string string_to_sign(std::string_view datetime, std::string_view credential_scope,
                           std::string_view canonical_request);
Digest signing_key(std::string_view secret_key, std::string_view date, const Scope& scope);

// Signs `request` at `when`. The request's headers must already hold the x-amz-date header for
// that instant (and Host); the caller sends exactly these headers plus Authorization.
Signature sign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::system_clock::time_point when);

}  // namespace tapedeck::storage::sigv4
