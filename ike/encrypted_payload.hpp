// The Encrypted payload, SK {...} (RFC 7296 3.14; RFC 5282 for AES-GCM): the inner payloads padded,
// encrypted and integrity-protected with one direction's SK_e and SK_a, and checked and opened
// on the way in. A message whose ICV does not verify is dropped without an answer (section 2.21).
#pragma once

#include <cstdint>
#include <span>

#include "ike/ike_algorithms.hpp"
#include "ike/message.hpp"
#include "ike/random_source.hpp"

namespace vfw::ike {

// One direction's protection of an IKE SA.
struct SkProtection {
  const EncryptionAlgorithm* encryption = nullptr;
  const IntegrityAlgorithm* integrity = nullptr;  // nullptr with AES-GCM
  Bytes encryption_key;                           // AES-GCM: key | 4-byte salt
  Bytes integrity_key;
  uint64_t next_iv = 1;  // AES-GCM's IV: a counter, never repeated under one key
};

// The whole message: header, outer payloads (none in vfw's messages) and SK {inner}; a CBC
// IV comes from random (RFC 7296 3.14: random and unpredictable). nullopt only when OpenSSL fails.
std::optional<Bytes> seal_message(Header h, const PayloadWriter& inner, SkProtection& out,
                                  RandomSource& random);
// The same for a chain of payloads already encoded (first: the type of its first payload).
std::optional<Bytes> seal_message(Header h, uint8_t first, std::span<const uint8_t> inner,
                                  SkProtection& out, RandomSource& random);

// Verifies and decrypts the SK payload that decode_payloads found in message, then decodes what
// it carries into inner. false with error.notify 0 when the ICV does not verify (drop in
// silence), INVALID_SYNTAX when what it carries is malformed.
bool open_message(std::span<const uint8_t> message, const Payloads& outer, const SkProtection& in,
                  Payloads& inner, DecodeError& error);

}  // namespace vfw::ike
