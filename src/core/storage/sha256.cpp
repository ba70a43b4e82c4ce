// SHA-256 and HMAC through OpenSSL's EVP interface.
#include "core/storage/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/error.hpp"
#include "core/storage/encoding.hpp"

namespace tapedeck::storage {

namespace {

[[noreturn]] void openssl_failed(const char* what) {
  throw Error(ErrorSource::internal, Recovery::fail,
              std::string("OpenSSL failed to ") + what + " a SHA-256 digest");
}

}  // namespace

struct Sha256::Context {
  struct Deleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Deleter> evp;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->evp.reset(EVP_MD_CTX_new());
  if (!context_->evp || EVP_DigestInit_ex(context_->evp.get(), EVP_sha256(), nullptr) != 1) {
    openssl_failed("initialise");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(context_->evp.get(), bytes.data(), bytes.size()) != 1) {
    openssl_failed("update");
  }
}

Digest Sha256::finish() {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->evp.get(), digest.data(), &length) != 1 ||
      length != digest.size()) {
    openssl_failed("finish");
  }
  if (EVP_DigestInit_ex(context_->evp.get(), EVP_sha256(), nullptr) != 1) {
    openssl_failed("reinitialise");
  }
  return digest;
}

std::string Sha256::finish_hex() {
  return to_hex(finish());
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish_hex();
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &length) == nullptr ||
      length != digest.size()) {
    openssl_failed("compute an HMAC over");
  }
  return digest;
}

}  // namespace tapedeck::storage
