#include "ike/ikev1_keys.hpp"

#include <openssl/evp.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "ike/crypto_failure.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {
namespace {

void append(Bytes& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

void append64(Bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void append32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// OpenSSL 3 looks an algorithm up by name on every fetch, which costs as much as hashing a
// message: each thread keeps what it fetched (nullptr: this OpenSSL lacks it).
template <typename T, T* (*Fetch)(OSSL_LIB_CTX*, const char*, const char*), void (*Free)(T*)>
const T* fetched(std::string_view name) {
  struct Deleter {
    void operator()(T* p) const { Free(p); }
  };
  thread_local std::map<std::string, std::unique_ptr<T, Deleter>, std::less<>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::string n(name);
    std::unique_ptr<T, Deleter> object(Fetch(nullptr, n.c_str(), nullptr));
    it = cache.emplace(std::move(n), std::move(object)).first;
  }
  return it->second.get();
}

const EVP_MD* fetched_digest(std::string_view name) {
  return fetched<EVP_MD, EVP_MD_fetch, EVP_MD_free>(name);
}

const EVP_CIPHER* fetched_cipher(std::string_view name) {
  return fetched<EVP_CIPHER, EVP_CIPHER_fetch, EVP_CIPHER_free>(name);
}

template <typename T>
const T* by_keyword(const std::vector<T>& table, std::string_view keyword) {
  for (const auto& a : table) {
    if (a.keyword == keyword) return &a;
  }
  return nullptr;
}

}  // namespace

const std::vector<Cipher>& ciphers() {
  // RFC 2409 appendix A's values; AES (7) from RFC 3602's registration, with a Key Length.
  static const std::vector<Cipher> table = {
      {"des", 1, 0, 8, 8, "DES-CBC", "DES-CBC"},
      {"3des", 5, 0, 24, 8, "DES-EDE3-CBC", "3DES-CBC"},
      {"aes-128", 7, 128, 16, 16, "AES-128-CBC", "AES-128"},
      {"aes-192", 7, 192, 24, 16, "AES-192-CBC", "AES-192"},
      {"aes-256", 7, 256, 32, 16, "AES-256-CBC", "AES-256"},
  };
  return table;
}

const std::vector<Hash>& hashes() {
  static const std::vector<Hash> table = {
      {"md5", 1, find_prf("hmac-md5"), "MD5"},
      {"sha1", 2, find_prf("hmac-sha1"), "SHA1"},
      {"sha2-256", 4, find_prf("hmac-sha2-256"), "SHA2-256"},
      {"sha2-384", 5, find_prf("hmac-sha2-384"), "SHA2-384"},
      {"sha2-512", 6, find_prf("hmac-sha2-512"), "SHA2-512"},
  };
  return table;
}

const Cipher* find_cipher(std::string_view keyword) {
  return by_keyword(ciphers(), keyword);
}
const Cipher* find_cipher(uint16_t attribute, uint16_t key_bits) {
  for (const auto& c : ciphers()) {
    if (c.attribute == attribute && c.key_bits == key_bits) return &c;
  }
  return nullptr;
}
const Hash* find_hash(std::string_view keyword) {
  return by_keyword(hashes(), keyword);
}
const Hash* find_hash(uint16_t attribute) {
  for (const auto& h : hashes()) {
    if (h.attribute == attribute) return &h;
  }
  return nullptr;
}

bool available(const Cipher& cipher) {
  return fetched_cipher(cipher.openssl) != nullptr;
}

Bytes digest(const Hash& hash, std::span<const uint8_t> data) {
  Bytes out(hash.prf->output_bytes);
  unsigned int length = 0;
  const EVP_MD* md = fetched_digest(hash.prf->digest);
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1 ||
      length != out.size())
    throw CryptoFailure(std::string(hash.prf->digest) + " failed in OpenSSL");
  return out;
}

Phase1Keys derive_phase1(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> psk,
                         std::span<const uint8_t> ni, std::span<const uint8_t> nr,
                         std::span<const uint8_t> shared, uint64_t cky_i, uint64_t cky_r) {
  const PrfAlgorithm& alg = *hash.prf;
  Phase1Keys k;
  Bytes nonces(ni.begin(), ni.end());
  append(nonces, nr);
  k.skeyid = prf(alg, psk, nonces);
  auto child = [&](std::span<const uint8_t> previous, uint8_t n) {
    Bytes input(previous.begin(), previous.end());
    append(input, shared);
    append64(input, cky_i);
    append64(input, cky_r);
    input.push_back(n);
    return prf(alg, k.skeyid, input);
  };
  k.d = child({}, 0);
  k.a = child(k.d, 1);
  k.e = child(k.a, 2);
  // Appendix B: a cipher key longer than SKEYID_e comes from K1 = prf(SKEYID_e, 0), K2 =
  // prf(SKEYID_e, K1), ...; a shorter one is SKEYID_e's first bytes.
  if (k.e.size() >= cipher.key_bytes) {
    k.encryption.assign(k.e.begin(), k.e.begin() + cipher.key_bytes);
  } else {
    Bytes block = prf(alg, k.e, Bytes{0});
    k.encryption = block;
    while (k.encryption.size() < cipher.key_bytes) {
      block = prf(alg, k.e, block);
      append(k.encryption, block);
    }
    k.encryption.resize(cipher.key_bytes);
  }
  return k;
}

Bytes phase1_iv(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> gxi,
                std::span<const uint8_t> gxr) {
  Bytes input(gxi.begin(), gxi.end());
  append(input, gxr);
  Bytes iv = digest(hash, input);
  iv.resize(cipher.block_bytes);
  return iv;
}

Bytes exchange_iv(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> phase1_last,
                  uint32_t message_id) {
  Bytes input(phase1_last.begin(), phase1_last.end());
  append32(input, message_id);
  Bytes iv = digest(hash, input);
  iv.resize(cipher.block_bytes);
  return iv;
}

Bytes keymat(const Hash& hash, std::span<const uint8_t> skeyid_d, std::span<const uint8_t> shared,
             uint8_t protocol, uint32_t spi, std::span<const uint8_t> ni,
             std::span<const uint8_t> nr, size_t length) {
  Bytes seed(shared.begin(), shared.end());
  seed.push_back(protocol);
  append32(seed, spi);
  append(seed, ni);
  append(seed, nr);
  Bytes out;
  Bytes block;
  while (out.size() < length) {
    Bytes input = block;
    append(input, seed);
    block = prf(*hash.prf, skeyid_d, input);
    append(out, block);
  }
  out.resize(length);
  return out;
}

bool cbc(const Cipher& cipher, std::span<const uint8_t> key, std::span<const uint8_t> iv,
         std::span<uint8_t> data, bool encrypt) {
  if (data.size() % cipher.block_bytes != 0 || iv.size() != cipher.block_bytes ||
      key.size() != cipher.key_bytes)
    return false;
  const EVP_CIPHER* c = fetched_cipher(cipher.openssl);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (c == nullptr || !ctx ||
      EVP_CipherInit_ex2(ctx.get(), c, key.data(), iv.data(), encrypt ? 1 : 0, nullptr) != 1)
    return false;
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  int out = 0;
  return data.empty() || (EVP_CipherUpdate(ctx.get(), data.data(), &out, data.data(),
                                           static_cast<int>(data.size())) == 1 &&
                          static_cast<size_t>(out) == data.size());
}

Bytes nat_d(const Hash& hash, uint64_t cky_i, uint64_t cky_r, Ipv4 address, uint16_t port) {
  Bytes input;
  append64(input, cky_i);
  append64(input, cky_r);
  append32(input, address.v);
  input.push_back(static_cast<uint8_t>(port >> 8));
  input.push_back(static_cast<uint8_t>(port));
  return digest(hash, input);
}

}  // namespace vfw::ike::v1
