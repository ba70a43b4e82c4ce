// AWS Signature Version 4, following the steps of the AWS General Reference
// ("Create a canonical request", "Create a string to sign", "Calculate the signature").
#include "core/storage/sigv4.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "core/storage/encoding.hpp"

namespace tapedeck::storage::sigv4 {

namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims the value and folds each run of spaces into one (AWS: "Trimall").
std::string trim_all(std::string_view value) {
  std::string out;
  bool in_space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_space = !out.empty();
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

// Lower-cased names, sorted, values of repeated names joined with ',' in the order given.
std::map<std::string, std::string> header_map(const Request& request) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto [it, inserted] = headers.try_emplace(lower(trim_all(name)), trim_all(value));
    if (!inserted) it->second += "," + trim_all(value);
  }
  return headers;
}

std::tm utc(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::string amz_datetime(std::chrono::system_clock::time_point when) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", utc(when));
}

std::string amz_date(std::chrono::system_clock::time_point when) {
  return fmt::format("{:%Y%m%d}", utc(when));
}

std::string canonical_query(const Request& request) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(request.query.size());
  for (const auto& [name, value] : request.query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());  // by encoded name, then encoded value
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string canonical_headers(const Request& request) {
  std::string out;
  for (const auto& [name, value] : header_map(request)) {
    out += name;
    out.push_back(':');
    out += value;
    out.push_back('\n');
  }
  return out;
}

std::string signed_headers(const Request& request) {
  std::string out;
  for (const auto& entry : header_map(request)) {
    if (!out.empty()) out.push_back(';');
    out += entry.first;
  }
  return out;
}

std::string canonical_request(const Request& request) {
  const std::string path = request.path.empty() ? "/" : request.path;
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, uri_encode(path, true),
                     canonical_query(request), canonical_headers(request), signed_headers(request),
                     request.payload_hash);
}

std::string credential_scope(std::string_view date, const Scope& scope) {
  return fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
}

std::string string_to_sign(std::string_view datetime, std::string_view credential_scope,
                           std::string_view canonical_request) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", datetime, credential_scope,
                     sha256_hex(canonical_request));
}

Digest signing_key(std::string_view secret_key, std::string_view date, const Scope& scope) {
  auto as_view = [](const Digest& digest) {
    return std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
  };
  const Digest date_key = hmac_sha256("AWS4" + std::string(secret_key), date);
  const Digest region_key = hmac_sha256(as_view(date_key), scope.region);
  const Digest service_key = hmac_sha256(as_view(region_key), scope.service);
  return hmac_sha256(as_view(service_key), "aws4_request");
}

Signature sign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::system_clock::time_point when) {
  const std::string date = amz_date(when);
  const std::string scope_text = credential_scope(date, scope);
  Signature result;
  result.canonical_request = canonical_request(request);
  result.string_to_sign = string_to_sign(amz_datetime(when), scope_text, result.canonical_request);
  const Digest key = signing_key(credentials.secret_key, date, scope);
  result.signature =
      to_hex(hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                         result.string_to_sign));
  result.signed_headers = signed_headers(request);
  result.authorization =
      fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                  credentials.access_key, scope_text, result.signed_headers, result.signature);
  return result;
}

}  // namespace tapedeck::storage::sigv4
