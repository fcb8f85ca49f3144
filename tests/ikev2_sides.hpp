// The IKEv2 tests' two sides: the seed's FW1 (1.1.1.1, branch 10.1.1.0/24) and FW3 (2.1.1.1,
// headquarters 10.2.1.0/24) as engine configurations, the wire between them, and what a test
// reads of a message on the wire.
#pragma once

#include <catch2/catch.hpp>

#include "ike/proposals.hpp"
#include "ike/v2/engine.hpp"
#include "ike_test_support.hpp"
#include "ike_wire.hpp"

namespace vfw::test::ikev2 {

using namespace vfw::ike;

inline IkeProposalConfig group14_proposal() {
  IkeProposalConfig p;
  p.number = 10;
  p.encryption = {find_encryption("aes-256")};
  p.prf = {find_prf("hmac-sha2-256")};
  p.integrity = {find_integrity("hmac-sha2-256")};
  p.dh = {find_dh_group("group14")};
  return p;
}

// One side of the seed's tunnel: FW1 when branch, FW3 otherwise.
inline EngineConfig side(bool fw1) {
  return seed_side(fw1, group14_proposal());
}

// Carries datagrams between the two engines; nat rewrites what FW3 sees of FW1 (a carrier NAT).
using Wire = test::IkeWire<Engine>;

// A message as the RFC's diagrams show it: the exchange, request or response, the message ID, the
// payloads in the clear and the first one inside SK.
struct OnWire {
  uint8_t exchange = 0;
  bool response = false;
  uint32_t message_id = 0;
  std::vector<uint8_t> payloads;
  uint8_t first_in_sk = 0;
};

inline OnWire on_wire(const Datagram& d) {
  DecodeError error;
  const auto h = decode_header(d.bytes, error);
  REQUIRE(h);
  Payloads p;
  REQUIRE(decode_payloads(std::span<const uint8_t>(d.bytes).subspan(kHeaderBytes), h->next_payload,
                          p, error));
  return {h->exchange, h->is_response(), h->message_id, p.order, p.sk_first};
}

// Two engines' datagrams carried to each other directly, at one time, until both are quiet.
inline void converse(Engine& a, Engine& b, uint64_t now) {
  for (int round = 0; round < 10; ++round) {
    auto from_a = a.take_datagrams();
    auto from_b = b.take_datagrams();
    if (from_a.empty() && from_b.empty()) break;
    for (auto& d : from_a) b.receive(d.remote, d.local, d.bytes, now);
    for (auto& d : from_b) a.receive(d.remote, d.local, d.bytes, now);
  }
}

// What a notify-carrying datagram says, when it is unencrypted.
inline bool carries_notify(const Datagram& d, uint16_t type) {
  DecodeError e;
  auto h = decode_header(d.bytes, e);
  Payloads p;
  return h && decode_payloads(std::span(d.bytes).subspan(kHeaderBytes), h->next_payload, p, e) &&
         p.find_notify(type) != nullptr;
}

}  // namespace vfw::test::ikev2
