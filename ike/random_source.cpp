#include "ike/random_source.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace vfw::ike {
namespace {

class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<uint8_t> out) override {
    if (!out.empty() && RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
  }
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

}  // namespace

RandomSource& system_random() {
  static SystemRandom source;
  return source;
}

SeededRandom::SeededRandom(std::string_view label) {
  SHA256(reinterpret_cast<const uint8_t*>(label.data()), label.size(), key_);
}

void SeededRandom::fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    if (used_ == sizeof buffer_) {
      // One keystream block: ChaCha20 of zeros, OpenSSL's 16-byte IV being the 32-bit block
      // counter then the 96-bit nonce; the counter of blocks goes in the nonce so that the
      // stream never wraps.
      uint8_t iv[16] = {};
      for (int i = 0; i < 8; ++i) iv[4 + i] = static_cast<uint8_t>(block_ >> (8 * i));
      ++block_;
      static const uint8_t zeros[64] = {};
      std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
      int length = 0;
      if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_chacha20(), nullptr, key_, iv) != 1 ||
          EVP_EncryptUpdate(ctx.get(), buffer_, &length, zeros, sizeof zeros) != 1 ||
          length != static_cast<int>(sizeof buffer_))
        std::abort();
      used_ = 0;
    }
    const size_t n = std::min(out.size() - done, sizeof buffer_ - used_);
    std::memcpy(out.data() + done, buffer_ + used_, n);
    used_ += n;
    done += n;
  }
}

}  // namespace vfw::ike
