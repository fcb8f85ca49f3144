#include "ike/dh.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <string>

namespace vfw::ike {
namespace {

// OpenSSL's names of the groups; MODP-768 and MODP-1024 (groups 1 and 2) have none and are built
// from their RFC 2409 primes.
const char* openssl_group(uint16_t number) {
  switch (number) {
    case 5:
      return "modp_1536";
    case 14:
      return "modp_2048";
    case 15:
      return "modp_3072";
    case 16:
      return "modp_4096";
    case 19:
      return "P-256";
    case 20:
      return "P-384";
    case 21:
      return "P-521";
    default:
      return nullptr;
  }
}

struct ParamsDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BuildDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct EcGroupDeleter {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct EcPointDeleter {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};

int curve_nid(uint16_t number) {
  switch (number) {
    case 19:
      return NID_X9_62_prime256v1;
    case 20:
      return NID_secp384r1;
    default:
      return NID_secp521r1;
  }
}

// The MODP group's prime (RFC 2409 for groups 1 and 2, RFC 3526 for the others); the generator
// is 2 in all of them.
BIGNUM* modp_prime(uint16_t number) {
  switch (number) {
    case 1:
      return BN_get_rfc2409_prime_768(nullptr);
    case 2:
      return BN_get_rfc2409_prime_1024(nullptr);
    case 5:
      return BN_get_rfc3526_prime_1536(nullptr);
    case 14:
      return BN_get_rfc3526_prime_2048(nullptr);
    case 15:
      return BN_get_rfc3526_prime_3072(nullptr);
    case 16:
      return BN_get_rfc3526_prime_4096(nullptr);
    default:
      return nullptr;
  }
}

// The group's domain parameters, plus the public value when one is given and the private one
// when one is given; for fromdata.
std::unique_ptr<OSSL_PARAM, ParamsDeleter> group_params(const DhGroup& group,
                                                        std::span<const uint8_t> public_value,
                                                        const BIGNUM* priv = nullptr) {
  std::unique_ptr<OSSL_PARAM_BLD, BuildDeleter> b(OSSL_PARAM_BLD_new());
  std::unique_ptr<BIGNUM, BnDeleter> p;
  std::unique_ptr<BIGNUM, BnDeleter> g;
  std::unique_ptr<BIGNUM, BnDeleter> pub;
  std::vector<uint8_t> point;
  if (const char* name = openssl_group(group.number)) {
    OSSL_PARAM_BLD_push_utf8_string(b.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
  } else {  // groups 1 and 2
    p.reset(modp_prime(group.number));
    g.reset(BN_new());
    BN_set_word(g.get(), 2);
    OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_FFC_P, p.get());
    OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_FFC_G, g.get());
  }
  if (!public_value.empty()) {
    if (group.ecp) {
      point.push_back(0x04);  // uncompressed: what x | y is in SEC 1's encoding
      point.insert(point.end(), public_value.begin(), public_value.end());
      OSSL_PARAM_BLD_push_octet_string(b.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size());
    } else {
      pub.reset(BN_bin2bn(public_value.data(), static_cast<int>(public_value.size()), nullptr));
      OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.get());
    }
  }
  if (priv != nullptr) OSSL_PARAM_BLD_push_BN(b.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv);
  return std::unique_ptr<OSSL_PARAM, ParamsDeleter>(OSSL_PARAM_BLD_to_param(b.get()));
}

}  // namespace

std::unique_ptr<DhKey> DhKey::generate(const DhGroup& group, RandomSource& random) {
  // The private value is drawn from random and the key pair built from it, rather than by
  // EVP_PKEY_generate, so that a seeded source gives the same key every time (a lab on the
  // simulated clock); OpenSSL checks the pair when it imports it.
  std::unique_ptr<BN_CTX, BnCtxDeleter> bn(BN_CTX_new());
  std::unique_ptr<BIGNUM, BnDeleter> priv(BN_new());
  if (!bn || !priv) return nullptr;
  std::vector<uint8_t> public_value(group.public_bytes);
  std::vector<uint8_t> drawn;
  bool made = false;
  if (group.ecp) {
    // priv uniform in [1, n-1]: 64 bits more than the order's length, then reduced.
    std::unique_ptr<EC_GROUP, EcGroupDeleter> curve(
        EC_GROUP_new_by_curve_name(curve_nid(group.number)));
    if (!curve) return nullptr;
    std::unique_ptr<BIGNUM, BnDeleter> order_less_one(BN_dup(EC_GROUP_get0_order(curve.get())));
    std::unique_ptr<EC_POINT, EcPointDeleter> point(EC_POINT_new(curve.get()));
    std::vector<uint8_t> encoded(1U + group.public_bytes);
    drawn = random.bytes(static_cast<size_t>(BN_num_bytes(order_less_one.get())) + 8);
    made = order_less_one && point && BN_sub_word(order_less_one.get(), 1) &&
           BN_bin2bn(drawn.data(), static_cast<int>(drawn.size()), priv.get()) &&
           BN_mod(priv.get(), priv.get(), order_less_one.get(), bn.get()) &&
           BN_add_word(priv.get(), 1) &&
           EC_POINT_mul(curve.get(), point.get(), priv.get(), nullptr, nullptr, bn.get()) &&
           EC_POINT_point2oct(curve.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                              encoded.data(), encoded.size(), bn.get()) == encoded.size();
    if (made) std::copy(encoded.begin() + 1, encoded.end(), public_value.begin());
  } else {
    // An exponent of 512 bits, at least twice the strength of every MODP group vfw offers
    // (RFC 3526 section 8), and never 0 or 1.
    std::unique_ptr<BIGNUM, BnDeleter> p(modp_prime(group.number));
    std::unique_ptr<BIGNUM, BnDeleter> g(BN_new());
    std::unique_ptr<BIGNUM, BnDeleter> pub(BN_new());
    drawn = random.bytes(64);
    made = p && g && pub && BN_set_word(g.get(), 2) &&
           BN_bin2bn(drawn.data(), static_cast<int>(drawn.size()), priv.get()) &&
           (BN_cmp(priv.get(), BN_value_one()) > 0 || BN_add_word(priv.get(), 2)) &&
           BN_mod_exp(pub.get(), g.get(), priv.get(), p.get(), bn.get()) &&
           BN_bn2binpad(pub.get(), public_value.data(), group.public_bytes) >= 0;
  }
  OPENSSL_cleanse(drawn.data(), drawn.size());
  if (!made) return nullptr;
  auto params = group_params(group, public_value, priv.get());
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, group.ecp ? "EC" : "DH", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) <= 0)
    return nullptr;
  std::unique_ptr<DhKey> dh(new DhKey(group, key));
  dh->public_ = std::move(public_value);
  return dh;
}

bool DhKey::plausible(const DhGroup& group, std::span<const uint8_t> value) {
  if (value.size() != group.public_bytes) return false;
  std::unique_ptr<BN_CTX, BnCtxDeleter> bn(BN_CTX_new());
  if (!bn) return false;
  if (group.ecp) {
    std::unique_ptr<EC_GROUP, EcGroupDeleter> curve(
        EC_GROUP_new_by_curve_name(curve_nid(group.number)));
    std::unique_ptr<EC_POINT, EcPointDeleter> point(curve ? EC_POINT_new(curve.get()) : nullptr);
    std::vector<uint8_t> encoded;
    encoded.reserve(1 + value.size());
    encoded.push_back(0x04);
    encoded.insert(encoded.end(), value.begin(), value.end());
    // Decoding an uncompressed point checks that it is on the curve.
    return point &&
           EC_POINT_oct2point(curve.get(), point.get(), encoded.data(), encoded.size(), bn.get()) ==
               1 &&
           EC_POINT_is_at_infinity(curve.get(), point.get()) == 0;
  }
  std::unique_ptr<BIGNUM, BnDeleter> p(modp_prime(group.number));
  std::unique_ptr<BIGNUM, BnDeleter> y(
      BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
  if (!p || !y || !BN_sub_word(p.get(), 1)) return false;
  return BN_cmp(y.get(), BN_value_one()) > 0 && BN_cmp(y.get(), p.get()) < 0;
}

DhKey::~DhKey() {
  EVP_PKEY_free(key_);
}

std::optional<std::vector<uint8_t>> DhKey::shared_secret(std::span<const uint8_t> peer) const {
  if (peer.size() != group_.public_bytes) return std::nullopt;
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> from(
      EVP_PKEY_CTX_new_from_name(nullptr, group_.ecp ? "EC" : "DH", nullptr));
  auto params = group_params(group_, peer);
  EVP_PKEY* peer_key = nullptr;
  if (!from || !params || EVP_PKEY_fromdata_init(from.get()) <= 0 ||
      EVP_PKEY_fromdata(from.get(), &peer_key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
    return std::nullopt;
  std::unique_ptr<EVP_PKEY, KeyDeleter> peer_owner(peer_key);
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0) return std::nullopt;
  if (!group_.ecp && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) <= 0) return std::nullopt;
  // validate: the peer's value is checked to be in the group (RFC 6989) before it is used.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key, 1) <= 0) return std::nullopt;
  size_t length = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &length) <= 0) return std::nullopt;
  std::vector<uint8_t> secret(length);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &length) <= 0) return std::nullopt;
  secret.resize(length);
  return secret;
}

}  // namespace vfw::ike
