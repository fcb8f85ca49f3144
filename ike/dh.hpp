// One side of a Diffie-Hellman exchange in an IKE group, on OpenSSL 3: a fresh key pair, its public
// value as the KE payload carries it (RFC 7296 3.4: the MODP value padded to the prime's length;
// RFC 5903: the ECP point as x | y), and the shared secret with the peer's value, which is checked
// before use (RFC 6989: a value outside the group is refused, never used).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ike/ike_algorithms.hpp"
#include "ike/random_source.hpp"

namespace vfw::ike {

class DhKey {
 public:
  // A key pair whose private value comes from random; nullptr when OpenSSL cannot make a key in
  // this group.
  static std::unique_ptr<DhKey> generate(const DhGroup& group, RandomSource& random);
  ~DhKey();
  DhKey(const DhKey&) = delete;
  DhKey& operator=(const DhKey&) = delete;

  // The checks that cost microseconds, for before the ones that cost a millisecond: the value's
  // length is the group's, a MODP value lies in 2..p-2 (RFC 6989 2.1), an ECP value is a point of
  // the curve (RFC 6989 2.3). A value that passes may still be outside the MODP subgroup, which
  // shared_secret() finds.
  static bool plausible(const DhGroup& group, std::span<const uint8_t> value);

  const DhGroup& group() const { return group_; }
  const std::vector<uint8_t>& public_value() const { return public_; }
  // g^ir, as long as the group's public values (MODP) or the x coordinate (ECP); nullopt when the
  // peer's value is not a valid element of the group.
  std::optional<std::vector<uint8_t>> shared_secret(std::span<const uint8_t> peer) const;

 private:
  DhKey(const DhGroup& group, EVP_PKEY* key) : group_(group), key_(key) {}
  const DhGroup& group_;
  EVP_PKEY* key_;
  std::vector<uint8_t> public_;
};

}  // namespace vfw::ike
