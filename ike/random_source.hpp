// Where the IKE engines' random bytes come from: SPIs, nonces, Diffie-Hellman private values,
// cookie secrets and the Encrypted payload's IVs. A device draws on OpenSSL's DRBG; a lab on the
// simulated clock gives each of its devices a seeded stream instead, so that the same inputs give
// the same bytes on the wire, run after run. Randomness is an input of the sans-IO engines like
// the clock: they never reach for it on their own.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vfw::ike {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills out entirely or aborts: an engine without randomness cannot go on safely.
  virtual void fill(std::span<uint8_t> out) = 0;
  std::vector<uint8_t> bytes(size_t n) {
    std::vector<uint8_t> b(n);
    fill(b);
    return b;
  }
};

// OpenSSL's RAND_bytes (its DRBG, seeded by the operating system).
RandomSource& system_random();

// A deterministic stream: the ChaCha20 keystream (RFC 8439) under a key that is SHA-256 of the
// label, so two labels give unrelated streams. Unpredictable to whoever does not know the label,
// repeatable by whoever does: for labs and tests, never for a device facing real peers.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::string_view label);
  void fill(std::span<uint8_t> out) override;

 private:
  uint8_t key_[32] = {};
  uint64_t block_ = 0;  // the next 64-byte keystream block
  uint8_t buffer_[64] = {};
  size_t used_ = sizeof buffer_;
};

}  // namespace vfw::ike
