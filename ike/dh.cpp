#include "ike/dh.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
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
  void operator()(BIGNUM* b) const { BN_free(b); }
};

// The group's domain parameters, plus the public value when one is given; for fromdata.
std::unique_ptr<OSSL_PARAM, ParamsDeleter> group_params(const DhGroup& group,
                                                        std::span<const uint8_t> public_value) {
  std::unique_ptr<OSSL_PARAM_BLD, BuildDeleter> b(OSSL_PARAM_BLD_new());
  std::unique_ptr<BIGNUM, BnDeleter> p;
  std::unique_ptr<BIGNUM, BnDeleter> g;
  std::unique_ptr<BIGNUM, BnDeleter> pub;
  std::vector<uint8_t> point;
  if (const char* name = openssl_group(group.number)) {
    OSSL_PARAM_BLD_push_utf8_string(b.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
  } else {  // groups 1 and 2
    p.reset(group.number == 1 ? BN_get_rfc2409_prime_768(nullptr)
                              : BN_get_rfc2409_prime_1024(nullptr));
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
  return std::unique_ptr<OSSL_PARAM, ParamsDeleter>(OSSL_PARAM_BLD_to_param(b.get()));
}

}  // namespace

std::unique_ptr<DhKey> DhKey::generate(const DhGroup& group) {
  const char* type = group.ecp ? "EC" : "DH";
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx;
  EVP_PKEY* key = nullptr;
  if (openssl_group(group.number) != nullptr) {
    ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    auto params = group_params(group, {});
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_params(ctx.get(), params.get()) <= 0 ||
        EVP_PKEY_generate(ctx.get(), &key) <= 0)
      return nullptr;
  } else {
    // Domain parameters first, then a key in them.
    std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> pctx(
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    auto params = group_params(group, {});
    EVP_PKEY* domain = nullptr;
    if (!pctx || EVP_PKEY_fromdata_init(pctx.get()) <= 0 ||
        EVP_PKEY_fromdata(pctx.get(), &domain, EVP_PKEY_KEY_PARAMETERS, params.get()) <= 0)
      return nullptr;
    std::unique_ptr<EVP_PKEY, KeyDeleter> domain_owner(domain);
    ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, domain, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_generate(ctx.get(), &key) <= 0)
      return nullptr;
  }
  std::unique_ptr<DhKey> dh(new DhKey(group, key));
  if (group.ecp) {
    uint8_t buffer[1 + 2 * 66];
    size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buffer,
                                        sizeof buffer, &length) <= 0 ||
        length != 1U + group.public_bytes || buffer[0] != 0x04)
      return nullptr;
    dh->public_.assign(buffer + 1, buffer + length);
  } else {
    BIGNUM* pub = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &pub) <= 0) return nullptr;
    std::unique_ptr<BIGNUM, BnDeleter> owner(pub);
    dh->public_.resize(group.public_bytes);
    if (BN_bn2binpad(pub, dh->public_.data(), group.public_bytes) < 0) return nullptr;
  }
  return dh;
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
