// SHA-256 over a stream of chunks, and HMAC-SHA-256 (OpenSSL EVP).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tapedeck::storage {

using Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256. Owns an OpenSSL EVP_MD_CTX; movable, not copyable, one thread at a time.
// After finish() the hasher starts over, ready for a new message.
class Sha256 {
 public:
  Sha256();  // throws Error(internal, fail) when OpenSSL cannot set up the digest
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  Digest finish();
  // finish() as lower-case hex.
  std::string finish_hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Hex SHA-256 of one string.
std::string sha256_hex(std::string_view bytes);
// HMAC-SHA-256 of `data` under `key`.
Digest hmac_sha256(std::string_view key, std::string_view data);

}  // namespace tapedeck::storage
