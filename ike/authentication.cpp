#include "ike/authentication.hpp"

#include <openssl/crypto.h>

#include <string_view>

#include "ike/keys.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

void append(Bytes& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

void append64(Bytes& out, uint64_t v) {
  uint8_t b[8];
  store32(b, static_cast<uint32_t>(v >> 32));
  store32(b + 4, static_cast<uint32_t>(v));
  out.insert(out.end(), b, b + 8);
}

}  // namespace

Bytes psk_auth(const PrfAlgorithm& alg, std::span<const uint8_t> psk,
               std::span<const uint8_t> real_message, std::span<const uint8_t> peer_nonce,
               std::span<const uint8_t> sk_p, std::span<const uint8_t> id_body) {
  static constexpr std::string_view kKeyPad = "Key Pad for IKEv2";
  const Bytes pad(kKeyPad.begin(), kKeyPad.end());
  Bytes key = prf(alg, psk, pad);
  Bytes octets(real_message.begin(), real_message.end());
  append(octets, peer_nonce);
  append(octets, prf(alg, sk_p, id_body));
  Bytes auth = prf(alg, key, octets);
  wipe(key);
  return auth;
}

bool psk_auth_matches(const Authentication& received, std::span<const uint8_t> expected) {
  return received.method == auth_method::kSharedKeyMic && proof_matches(received.data, expected);
}

Bytes phase1_hash(const PrfAlgorithm& alg, std::span<const uint8_t> skeyid,
                  std::span<const uint8_t> own_public, std::span<const uint8_t> peer_public,
                  uint64_t own_cookie, uint64_t peer_cookie, std::span<const uint8_t> sa_i_body,
                  std::span<const uint8_t> id_body) {
  Bytes input(own_public.begin(), own_public.end());
  append(input, peer_public);
  append64(input, own_cookie);
  append64(input, peer_cookie);
  append(input, sa_i_body);
  append(input, id_body);
  return prf(alg, skeyid, input);
}

bool proof_matches(std::span<const uint8_t> received, std::span<const uint8_t> expected) {
  return received.size() == expected.size() &&
         CRYPTO_memcmp(received.data(), expected.data(), expected.size()) == 0;
}

}  // namespace vfw::ike
