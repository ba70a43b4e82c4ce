// The unavailable-value placeholder's forms.
#include "core/debezium/sentinels.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/base64.hpp"
#include "core/debezium/binary.hpp"
#include "core/error.hpp"

namespace tapedeck::debezium {

std::string name_uuid(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr) != 1 ||
      length != 16) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "MD5 for the unavailable-value placeholder UUID failed in OpenSSL");
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x30);  // version 3
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // IETF variant
  std::string out;
  for (unsigned i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    fmt::format_to(std::back_inserter(out), "{:02x}", digest[i]);
  }
  return out;
}

UnavailablePlaceholder UnavailablePlaceholder::from_bytes(std::string_view bytes) {
  return {std::string(bytes), base64_encode(bytes), name_uuid(bytes)};
}

UnavailablePlaceholder UnavailablePlaceholder::from_setting(std::string_view setting) {
  if (setting.substr(0, 4) != "hex:") return from_bytes(setting);
  const std::string_view hex = setting.substr(4);
  if (hex.size() % 2 != 0) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "unavailable_value_placeholder 'hex:' needs an even number of hex digits");
  }
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit_value(hex[i]), lo = hex_digit_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  "unavailable_value_placeholder 'hex:' holds a character that is not a hex "
                  "digit");
    }
    bytes.push_back(static_cast<char>(hi << 4 | lo));
  }
  return from_bytes(bytes);
}

}  // namespace tapedeck::debezium
