// IKEv2 exchange by exchange, one message at a time, each step commented with the RFC's drawing
// of it (RFC 7296 1.2 to 1.4): IKE_SA_INIT and IKE_AUTH, INVALID_KE_PAYLOAD's retry, a liveness
// check and a delete; and a responder's AUTH rewritten on the wire.
#include <catch2/catch.hpp>

#include "ike/encrypted_payload.hpp"
#include "ike/random_source.hpp"
#include "ikev2_sides.hpp"

using namespace vfw;
using namespace vfw::ike;
using namespace vfw::test::ikev2;

TEST_CASE("IKEv2 message by message: IKE_SA_INIT and IKE_AUTH as RFC 7296 1.2 draws them",
          "[ike]") {
  using namespace payload;
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));

  // HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) -->
  const OnWire m1 = on_wire(w.fw1_to_fw3());
  CHECK(m1.exchange == exchange::kIkeSaInit);
  CHECK_FALSE(m1.response);
  CHECK(m1.message_id == 0);
  CHECK(m1.payloads == std::vector<uint8_t>{kSa, kKe, kNonce, kNotify, kNotify});
  CHECK(w.fw3.sas().size() == 1);  // the responder's half-open SA

  // <-- HDR, SAr1, KEr, Nr, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)
  const OnWire m2 = on_wire(w.fw3_to_fw1());
  CHECK(m2.exchange == exchange::kIkeSaInit);
  CHECK(m2.response);
  CHECK(m2.message_id == 0);
  CHECK(m2.payloads == std::vector<uint8_t>{kSa, kKe, kNonce, kNotify, kNotify});

  // HDR, SK {IDi, AUTH, SAi2, TSi, TSr} -->
  const OnWire m3 = on_wire(w.fw1_to_fw3());
  CHECK(m3.exchange == exchange::kIkeAuth);
  CHECK_FALSE(m3.response);
  CHECK(m3.message_id == 1);
  CHECK(m3.payloads == std::vector<uint8_t>{kSk});
  CHECK(m3.first_in_sk == kIdi);
  // The responder has what it needs: its CHILD SA is in before it answers.
  CHECK(w.fw3.take_installs().size() == 1);
  CHECK(w.fw1.take_installs().empty());

  // <-- HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
  const OnWire m4 = on_wire(w.fw3_to_fw1());
  CHECK(m4.exchange == exchange::kIkeAuth);
  CHECK(m4.response);
  CHECK(m4.message_id == 1);
  CHECK(m4.payloads == std::vector<uint8_t>{kSk});
  CHECK(m4.first_in_sk == kIdr);
  CHECK(w.fw1.take_installs().size() == 1);

  // Four messages, nothing more in flight, both IKE SAs established.
  CHECK(w.quiet());
  CHECK(w.fw1_sent.size() == 2);
  CHECK(w.fw3_sent.size() == 2);
  CHECK(w.fw1.sas()[0]->state == IkeSaState::Established);
  CHECK(w.fw3.sas()[0]->state == IkeSaState::Established);
}

TEST_CASE("INVALID_KE_PAYLOAD: the initiator retries with the group the responder asks for",
          "[ike]") {
  using namespace payload;
  EngineConfig a = side(true);
  a.peers[0].proposals[0].dh = {find_dh_group("group19"), find_dh_group("group14")};
  Wire w(a, side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  // HDR, SAi1, KEi(group 19), Ni -->
  w.fw1_to_fw3();
  CHECK(w.fw3.sas().empty());  // refused before any state
  // <-- HDR, N(INVALID_KE_PAYLOAD, group 14)
  const Datagram refusal = w.fw3_to_fw1();
  CHECK(carries_notify(refusal, notify::kInvalidKePayload));
  CHECK(on_wire(refusal).payloads == std::vector<uint8_t>{kNotify});
  // HDR, SAi1, KEi(group 14), Ni -->   the same SPI, message ID 0 again (RFC 7296 1.2)
  const OnWire retry = on_wire(w.fw1_to_fw3());
  CHECK(retry.exchange == exchange::kIkeSaInit);
  CHECK(retry.message_id == 0);
  CHECK(retry.payloads == std::vector<uint8_t>{kSa, kKe, kNonce, kNotify, kNotify});
  // <-- HDR, SAr1, KEr, Nr, then IKE_AUTH both ways
  w.pump();
  CHECK(w.fw1.take_installs().size() == 1);
  CHECK(w.fw3.sas().size() == 1);  // the refused first request left nothing behind
}

TEST_CASE("INFORMATIONAL: a liveness check is answered and a delete removes the SAs on both sides",
          "[ike]") {
  using namespace payload;
  EngineConfig a = side(true);
  a.peers[0].dpd_seconds = 30;
  Wire w(a, side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1.take_installs();
  w.fw3.take_installs();
  // HDR, SK {} -->   a liveness check after 30 quiet seconds: an empty INFORMATIONAL request
  w.now += 30'000;
  w.fw1.tick(w.now);
  const OnWire check = on_wire(w.fw1_to_fw3());
  CHECK(check.exchange == exchange::kInformational);
  CHECK_FALSE(check.response);
  CHECK(check.message_id == 2);
  CHECK(check.first_in_sk == kNone);
  // <-- HDR, SK {}
  const OnWire alive = on_wire(w.fw3_to_fw1());
  CHECK(alive.response);
  CHECK(alive.message_id == 2);
  CHECK(w.quiet());
  // HDR, SK {D(IKE)} -->   deleting the IKE SA deletes its CHILD SAs with it (RFC 7296 1.4.1)
  w.fw1.delete_all(w.now);
  const OnWire del = on_wire(w.fw1_to_fw3());
  CHECK(del.exchange == exchange::kInformational);
  CHECK(del.first_in_sk == kDelete);
  CHECK(w.fw3.sas().empty());
  CHECK(w.fw3.take_removals().size() == 1);
  // <-- HDR, SK {}
  w.fw3_to_fw1();
  CHECK(w.quiet());
  CHECK(w.fw1.sas().empty());
  CHECK(w.fw1.take_removals().size() == 1);
}

namespace {

// Message 4 opened with the keys FW3 sealed it with, its AUTH given another method, and sealed
// again: a responder whose proof is right but whose method is not the one the initiator uses.
Datagram with_auth_method(const Datagram& d, const IkeSa& responder, uint8_t method) {
  using namespace payload;
  DecodeError error;
  const auto h = decode_header(d.bytes, error);
  REQUIRE(h);
  Payloads outer;
  REQUIRE(decode_payloads(std::span<const uint8_t>(d.bytes).subspan(kHeaderBytes), h->next_payload,
                          outer, error));
  Payloads inner;
  REQUIRE(open_message(d.bytes, outer, responder.outbound, inner, error));
  REQUIRE(inner.auth);
  PayloadWriter w;
  size_t notify = 0;
  for (const uint8_t type : inner.order) {
    if (type == kIdr) w.id(kIdr, *inner.idr);
    if (type == kAuth) w.auth({method, inner.auth->data});
    if (type == kSa) w.sa(*inner.sa);
    if (type == kTsi) w.ts(kTsi, *inner.tsi);
    if (type == kTsr) w.ts(kTsr, *inner.tsr);
    if (type == kNotify) w.notify(inner.notifies.at(notify++));
  }
  SkProtection protection = responder.outbound;
  SeededRandom random("message 4 sealed again");
  const auto sealed = seal_message(*h, w, protection, random);
  REQUIRE(sealed);
  Datagram changed = d;
  changed.bytes = *sealed;
  return changed;
}

}  // namespace

TEST_CASE(
    "IKEv2: a responder's AUTH by another method than the shared key is refused, however "
    "right its proof",
    "[ike]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.fw1_to_fw3();  // HDR, SAi1, KEi, Ni -->
  w.fw3_to_fw1();  // <-- HDR, SAr1, KEr, Nr
  w.fw1_to_fw3();  // HDR, SK {IDi, AUTH, SAi2, TSi, TSr} -->
  // <-- HDR, SK {IDr, AUTH(method 1, RSA Digital Signature), SAr2, TSi, TSr}
  const Datagram m4 = w.hold_fw3_to_fw1();
  SECTION("the message as FW3 sealed it establishes the SA: the rewriting keeps it whole") {
    w.give_fw1(with_auth_method(m4, *w.fw3.sas()[0], auth_method::kSharedKeyMic));
    CHECK(w.fw1.sas()[0]->state == IkeSaState::Established);
    CHECK(w.fw1.take_installs().size() == 1);
  }
  SECTION("the same proof under RSA Digital Signature fails authentication") {
    w.give_fw1(with_auth_method(m4, *w.fw3.sas()[0], 1));
    CHECK(w.fw1.take_installs().empty());
    const auto errors = w.fw1.take_errors();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].reason == Failure::AuthenticationFail);
  }
}
