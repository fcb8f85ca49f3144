// Two IKEv2 engines negotiating in memory, on a simulated clock: the seed's FW1 (1.1.1.1, branch
// 10.1.1.0/24) and FW3 (2.1.1.1, headquarters 10.2.1.0/24), and each failure the seed lists,
// reported on the failing side in its words with the RFC's notification.
#include <openssl/bn.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

#include "ike/encrypted_payload.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine.hpp"
#include "ike_test_support.hpp"
#include "ike_wire.hpp"
#include "ikev2_sides.hpp"
#include "packet/packet.hpp"

using namespace vfw;
using namespace vfw::ike;
using vfw::test::ip;
using vfw::test::ip_id;
using vfw::test::subnet;
using namespace vfw::test::ikev2;

TEST_CASE(
    "IKEv2 with a pre-shared key: IKE_SA_INIT and IKE_AUTH establish the IKE SA and a CHILD SA "
    "pair",
    "[ike]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  // Four messages: IKE_SA_INIT and IKE_AUTH, each a request and a response.
  CHECK(w.fw1_sent.size() == 2);
  CHECK(w.fw3_sent.size() == 2);
  auto installs1 = w.fw1.take_installs();
  auto installs3 = w.fw3.take_installs();
  REQUIRE(installs1.size() == 1);
  REQUIRE(installs3.size() == 1);
  const auto& a = installs1[0];
  const auto& b = installs3[0];
  // Each side's outbound SA is the other's inbound one: the same SPI and the same keys.
  CHECK(a.spi_out == b.spi_in);
  CHECK(a.spi_in == b.spi_out);
  CHECK(a.encryption_key_out == b.encryption_key_in);
  CHECK(a.authentication_key_out == b.authentication_key_in);
  CHECK(a.encryption_key_in == b.encryption_key_out);
  CHECK(a.encryption_key_out != a.encryption_key_in);
  CHECK(a.encryption_key_out.size() == 32);
  CHECK(a.authentication_key_out.size() == 32);
  CHECK_FALSE(a.udp_encapsulation);
  CHECK(a.local == ip("1.1.1.1"));
  CHECK(a.remote == ip("2.1.1.1"));
  CHECK(describe(a.local_ts) == "10.1.1.0-10.1.1.255");
  CHECK(describe(b.local_ts) == "10.2.1.0-10.2.1.255");
  REQUIRE(w.fw1.sas().size() == 1);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw1.sas()[0]->state == IkeSaState::Established);
  CHECK(w.fw1.sas()[0]->initiator);
  CHECK(w.fw3.sas()[0]->state == IkeSaState::Established);
  CHECK(w.fw1.sas()[0]->spi_r == w.fw3.sas()[0]->spi_r);
  CHECK(w.fw1.take_errors().empty());
  CHECK(w.fw3.take_errors().empty());
  // Nothing awaits an answer: the next timer is the CHILD SA's renewal, at 90% of its 3600 s.
  CHECK(w.fw1.next_timer_ms() == 3'240'000);
}

TEST_CASE("IKEv2 works with every DH group and with AES-GCM for the IKE SA", "[ike]") {
  for (const char* group : {"group2", "group5", "group14", "group19", "group20", "group21"}) {
    for (const char* cipher : {"aes-128", "aes-256", "3des", "aes-gcm-256"}) {
      EngineConfig a = side(true);
      EngineConfig b = side(false);
      for (auto* c : {&a, &b}) {
        c->peers[0].proposals[0].dh = {find_dh_group(group)};
        c->peers[0].proposals[0].encryption = {find_encryption(cipher)};
        c->peers[0].proposals[0].prf = {find_prf("hmac-sha2-512")};
      }
      Wire w(a, b);
      REQUIRE(w.fw1.initiate(0, 0));
      w.pump();
      INFO(group << " " << cipher);
      CHECK(w.fw1.take_installs().size() == 1);
      CHECK(w.fw3.take_installs().size() == 1);
    }
  }
}

TEST_CASE("ESP with AES-GCM, and AH, are negotiated for the CHILD SA", "[ike]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  for (auto* c : {&a, &b}) c->children[0].encryption = ipsec::Encryption::AesGcm128;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  auto i = w.fw1.take_installs();
  REQUIRE(i.size() == 1);
  CHECK(i[0].encryption_key_out.size() == 16 + 4);  // key and salt (RFC 4106)
  CHECK(i[0].authentication_key_out.empty());
  CHECK(i[0].authentication == ipsec::Authentication::None);

  for (auto* c : {&a, &b}) c->children[0].protocol = protocol::kAh;
  Wire ah(a, b);
  REQUIRE(ah.fw1.initiate(0, 0));
  ah.pump();
  auto j = ah.fw1.take_installs();
  REQUIRE(j.size() == 1);
  CHECK(j[0].protocol == protocol::kAh);
  CHECK(j[0].encryption_key_out.empty());
  CHECK(j[0].authentication_key_out.size() == 32);
}

TEST_CASE(
    "a lost message is retransmitted with back-off, and a repeated request gets the same answer",
    "[ike]") {
  Wire w(side(true), side(false));
  int lost = 0;
  // FW3's first IKE_AUTH response is lost.
  w.drop = [&](const Datagram& d) {
    DecodeError e;
    auto h = decode_header(d.bytes, e);
    if (h && h->exchange == exchange::kIkeAuth && h->is_response() && lost == 0) {
      ++lost;
      return true;
    }
    return false;
  };
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  CHECK(w.fw1.take_installs().empty());
  CHECK(w.fw1.next_timer_ms() == Engine::kRetransmitBaseMs);
  w.advance(1999);
  CHECK(w.fw1.take_installs().empty());
  w.advance(1);
  CHECK(w.fw1.take_installs().size() == 1);
  CHECK(w.fw3.take_installs().size() == 1);  // the repeated request made no second CHILD SA
}

TEST_CASE("an unanswered negotiation gives up after its retransmissions", "[ike]") {
  Wire w(side(true), side(false));
  w.drop = [](const Datagram&) { return true; };
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  uint64_t sent = 1;
  for (int i = 0; i < 200 && !w.fw1.sas().empty(); ++i) w.advance(1000);
  for (const auto& d : w.fw1_sent) sent += d.bytes.empty() ? 0 : 1;
  CHECK(w.fw1.sas().empty());
  CHECK(w.fw1_sent.size() == 1 + Engine::kMaxRetransmits);
  auto errors = w.fw1.take_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].reason == ike::Failure::ExchangeTimeout);
}

TEST_CASE("the seed's IKEv2 failures, each named on the failing side with the RFC's notification",
          "[ike][diagnostics]") {
  struct Case {
    const char* what;
    std::function<void(EngineConfig&, EngineConfig&)> change;
    const char* reason;
    bool on_fw1;  // which side records it
    uint16_t notify;
  };
  const std::vector<Case> cases = {
      {"IKE proposals differ",
       [](EngineConfig&, EngineConfig& b) {
         b.peers[0].proposals[0].encryption = {find_encryption("aes-128")};
       },
       "phase1 proposal mismatch", false, notify::kNoProposalChosen},
      {"pre-shared keys differ",
       [](EngineConfig&, EngineConfig& b) { b.peers[0].pre_shared_key = "wrong"; },
       "authentication fail", false, notify::kAuthenticationFailed},
      {"remote-address missing on the responder",
       [](EngineConfig&, EngineConfig& b) { b.peers[0].remote_address = ip("9.9.9.9"); },
       "peer address mismatch", false, notify::kNoProposalChosen},
      {"remote-id differs from the peer's identity",
       [](EngineConfig&, EngineConfig& b) {
         Identification id;
         id.type = id_type::kFqdn;
         id.data = {'f', 'w', '3'};
         b.peers[0].remote_id = id;
       },
       "config ID mismatch", false, notify::kAuthenticationFailed},
      {"ACL rules do not mirror",
       [](EngineConfig&, EngineConfig& b) {
         b.children[0].remote_ts = {subnet("10.9.9.0", "10.9.9.255")};
       },
       "flow mismatch", false, notify::kTsUnacceptable},
      {"IPSec proposals differ",
       [](EngineConfig&, EngineConfig& b) { b.children[0].encryption = ipsec::Encryption::Aes128; },
       "phase2 proposal or pfs mismatch", false, notify::kNoProposalChosen},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      EngineConfig a = side(true);
      EngineConfig b = side(false);
      c.change(a, b);
      Wire w(a, b);
      REQUIRE(w.fw1.initiate(0, 0));
      w.pump();
      CHECK(w.fw1.take_installs().empty());
      CHECK(w.fw3.take_installs().empty());
      auto failing = c.on_fw1 ? w.fw1.take_errors() : w.fw3.take_errors();
      REQUIRE(failing.size() == 1);
      CHECK(failure_words(failing[0].reason) == c.reason);
      CHECK(failing[0].notify == c.notify);
      CHECK(failing[0].peer == ip("1.1.1.1"));
      // The initiator hears the notification and names the failure in the same words, except
      // where the responder answered before knowing a peer (remote-address: no proposal).
      auto other = w.fw1.take_errors();
      REQUIRE(other.size() == 1);
      CHECK(other[0].notify == c.notify);
      if (std::string(c.reason) != "peer address mismatch" &&
          std::string(c.reason) != "config ID mismatch")
        CHECK(failure_words(other[0].reason) == c.reason);
      // A failed IKE_AUTH leaves no IKE SA; a failed CHILD SA leaves the IKE SA up (RFC
      // 7296 2.21.2).
      const bool child_only =
          c.notify == notify::kTsUnacceptable || std::string(c.reason).rfind("phase2", 0) == 0;
      CHECK(w.fw1.sas().size() == (child_only ? 1U : 0U));
      CHECK(w.fw3.sas().size() == (child_only ? 1U : 0U));
    }
  }
}

TEST_CASE("behind the carrier's NAT both sides float to 4500 and ESP goes in UDP", "[ike][nat]") {
  // FW3 answers whoever comes (a policy template): it sees FW1 as the NAT's 2.1.1.2.
  EngineConfig hq = side(false);
  hq.peers[0].remote_address.reset();
  hq.peers[0].any_address = true;
  hq.children[0].responder_only = true;
  Wire w(side(true), hq);
  w.nat = true;
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  REQUIRE(w.fw1_sent.size() == 2);
  CHECK(w.fw1_sent[0].local.port == 500);
  CHECK(w.fw1_sent[1].local.port == 4500);  // IKE_AUTH from 4500
  CHECK(w.fw1_sent[1].remote.port == 4500);
  auto a = w.fw1.take_installs();
  auto b = w.fw3.take_installs();
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].udp_encapsulation);
  CHECK(b[0].udp_encapsulation);
  CHECK(b[0].remote_port == 2049);  // the NAT's port for FW1's 4500
  CHECK(w.fw1.sas()[0]->nat_local);
  CHECK(w.fw3.sas()[0]->nat_remote);
}

TEST_CASE("malformed and hostile IKE messages get the RFC's answer or silence, never a crash",
          "[ike][hostile]") {
  Engine fw3(side(false));
  const Endpoint local{ip("2.1.1.1"), 500};
  const Endpoint remote{ip("1.1.1.1"), 500};
  // A valid request from FW1's engine, then broken in every way at every byte.
  Engine fw1(side(true));
  REQUIRE(fw1.initiate(0, 0));
  const Bytes request = fw1.take_datagrams().at(0).bytes;
  for (size_t cut = 0; cut < request.size(); ++cut) {
    fw3.receive(local, remote, std::span(request).first(cut), 0);
  }
  for (size_t at = 0; at < request.size(); ++at) {
    Bytes broken = request;
    broken[at] ^= 0xff;
    fw3.receive(local, remote, broken, 0);
  }
  // A truncated payload chain is answered with INVALID_SYNTAX.
  Bytes truncated = request;
  store16(truncated.data() + kHeaderBytes + 2, 0xffff);
  fw3.take_datagrams();
  fw3.receive(local, remote, truncated, 0);
  auto answers = fw3.take_datagrams();
  REQUIRE(answers.size() == 1);
  CHECK(carries_notify(answers[0], notify::kInvalidSyntax));
  // An unknown payload marked critical: UNSUPPORTED_CRITICAL_PAYLOAD.
  PayloadWriter w;
  const uint8_t body[4] = {1, 2, 3, 4};
  w.add(200, body, true);
  Header h;
  h.spi_i = 42;
  h.exchange = exchange::kIkeSaInit;
  h.flags = flag::kInitiator;
  fw3.receive(local, remote, encode_message(h, w), 0);
  answers = fw3.take_datagrams();
  REQUIRE(answers.size() == 1);
  CHECK(carries_notify(answers[0], notify::kUnsupportedCriticalPayload));
  // Half-open SAs are bounded and expire.
  CHECK(fw3.half_open() <= Engine::kMaxHalfOpen);
  fw3.tick(60'000);
  CHECK(fw3.half_open() == 0);
}

TEST_CASE("a flood of IKE_SA_INIT requests is bounded in memory", "[ike][hostile][limits]") {
  Engine fw3(side(false));
  fw3.share_work_budget(std::make_shared<WorkBudget>(1'000'000));  // the threshold, not the budget
  Engine fw1(side(true));
  REQUIRE(fw1.initiate(0, 0));
  Bytes request = fw1.take_datagrams().at(0).bytes;
  for (uint32_t i = 0; i < Engine::kMaxHalfOpen + 100; ++i) {
    store32(request.data(), i + 1);  // a new initiator SPI each time
    fw3.receive({ip("2.1.1.1"), 500}, {ip("1.1.1.1"), 500}, request, 0);
  }
  // Past the cookie threshold a source that cannot return the cookie leaves no state.
  CHECK(fw3.half_open() == Engine::kCookieThreshold);
  CHECK(carries_notify(fw3.take_datagrams().back(), notify::kCookie));
}

TEST_CASE("beyond the cookie threshold a request must return the responder's cookie (RFC 7296 2.6)",
          "[ike][hostile]") {
  EngineConfig any = side(false);  // answers any address, as a policy template does
  any.peers[0].remote_address.reset();
  any.peers[0].any_address = true;
  Engine fw3(any);
  fw3.share_work_budget(std::make_shared<WorkBudget>(1'000'000));  // the threshold, not the budget
  Engine flood(side(true));
  REQUIRE(flood.initiate(0, 0));
  Bytes spoofed = flood.take_datagrams().at(0).bytes;
  // Spoofed sources fill the half-open SAs up to the threshold; beyond it they get a cookie and
  // leave no state, since they never see it.
  for (uint32_t i = 0; i < Engine::kCookieThreshold + 50; ++i) {
    store32(spoofed.data(), i + 1);
    fw3.receive({ip("2.1.1.1"), 500}, {Ipv4{0x0b000000U + i}, 500}, spoofed, 0);
  }
  CHECK(fw3.half_open() == Engine::kCookieThreshold);
  auto answers = fw3.take_datagrams();
  CHECK(carries_notify(answers.back(), notify::kCookie));
  // The real FW1 gets the cookie, sends its request again with it first, and gets through.
  Engine fw1(side(true));
  REQUIRE(fw1.initiate(0, 0));
  converse(fw1, fw3, 0);
  CHECK(fw1.take_installs().size() == 1);
  CHECK(fw3.take_installs().size() == 1);
}

TEST_CASE("CREATE_CHILD_SA rekeys the CHILD SA before its lifetime ends, with and without PFS",
          "[ike][rekey]") {
  for (const bool pfs : {false, true}) {
    INFO("pfs " << pfs);
    EngineConfig a = side(true);
    EngineConfig b = side(false);
    for (auto* c : {&a, &b}) {
      c->children[0].lifetime_seconds = 600;
      if (pfs) c->children[0].pfs = find_dh_group("group14");
    }
    Wire w(a, b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto first1 = w.fw1.take_installs();
    const auto first3 = w.fw3.take_installs();
    REQUIRE(first1.size() == 1);
    // FW1 started the IKE SA: it renews at 90% of the lifetime (540 s).
    w.advance(539'000);
    CHECK(w.fw1.take_installs().empty());
    w.advance(1'000);
    auto next1 = w.fw1.take_installs();
    auto next3 = w.fw3.take_installs();
    REQUIRE(next1.size() == 1);
    REQUIRE(next3.size() == 1);
    CHECK(next1[0].spi_out == next3[0].spi_in);
    CHECK(next1[0].encryption_key_out == next3[0].encryption_key_in);
    CHECK(next1[0].encryption_key_out != first1[0].encryption_key_out);
    CHECK(next1[0].spi_in != first1[0].spi_in);
    // The old pair is deleted on both sides; one CHILD SA each remains.
    CHECK(w.fw1.take_removals().size() == 1);
    CHECK(w.fw3.take_removals().size() == 1);
    CHECK(w.fw1.sas().at(0)->children.size() == 1);
    CHECK(w.fw3.sas().at(0)->children.size() == 1);
    CHECK(w.fw1.take_errors().empty());
    CHECK(w.fw3.take_errors().empty());
    (void)first3;
  }
}

TEST_CASE("the IKE SA is rekeyed with CREATE_CHILD_SA, its CHILD SAs carry on under the new one",
          "[ike][rekey]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  for (auto* c : {&a, &b}) {
    c->peers[0].proposals[0].lifetime_seconds = 1000;
    c->children[0].lifetime_seconds = 3000;
  }
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1.take_installs();
  w.fw3.take_installs();
  const uint64_t old_spi = w.fw1.sas().at(0)->spi_i;
  w.advance(900'000);  // 90% of FW1's IKE SA lifetime
  REQUIRE(w.fw1.sas().size() == 1);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw1.sas()[0]->spi_i != old_spi);
  CHECK(w.fw1.sas()[0]->spi_r == w.fw3.sas()[0]->spi_r);
  CHECK(w.fw1.sas()[0]->children.size() == 1);
  CHECK(w.fw3.sas()[0]->children.size() == 1);
  CHECK(w.fw1.take_removals().empty());  // the CHILD SA was not touched
  // The new IKE SA's keys work: the CHILD SA is later rekeyed through it (at 2,700 s), and the
  // IKE SA again (at 1,800 s), ten seconds at a time.
  for (int i = 0; i < 181; ++i) w.advance(10'000);
  CHECK(w.fw1.take_installs().size() == 1);
  CHECK(w.fw3.take_installs().size() == 1);
  CHECK(w.fw1.sas().size() == 1);
  CHECK(w.fw3.sas().size() == 1);
  CHECK(w.fw1.take_errors().empty());
  CHECK(w.fw3.take_errors().empty());
}

TEST_CASE("a CHILD SA not renewed is deleted at its hard lifetime", "[ike][rekey]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  for (auto* c : {&a, &b}) c->children[0].lifetime_seconds = 100;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  // From now on FW3 answers nothing: FW1's rekey goes unanswered.
  w.drop = [](const Datagram& d) { return d.local.address == *parse_ipv4("2.1.1.1"); };
  for (int i = 0; i < 100 && w.fw1.sas().size() == 1 && !w.fw1.sas()[0]->children.empty(); ++i)
    w.advance(1000);
  CHECK((w.fw1.sas().empty() || w.fw1.sas()[0]->children.empty()));
  CHECK_FALSE(w.fw1.take_removals().empty());
}

TEST_CASE("a flood of spoofed IKE_SA_INIT requests does not stop an established tunnel rekeying",
          "[ike][rekey][hostile][limits]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  b.peers[0].remote_address.reset();  // a template's peer: every source is a candidate
  b.peers[0].any_address = true;
  b.children[0].responder_only = true;
  for (auto* c : {&a, &b}) c->children[0].lifetime_seconds = 600;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1.take_installs();
  w.fw3.take_installs();
  Engine attacker(side(true));
  REQUIRE(attacker.initiate(0, 0));
  Bytes spoofed = attacker.take_datagrams().at(0).bytes;
  for (uint32_t i = 0; i < 20000; ++i) {
    store32(spoofed.data(), i + 1);
    w.fw3.receive({ip("2.1.1.1"), 500}, {Ipv4{0x0b000000U + i}, 500}, spoofed, w.now);
  }
  w.fw3.take_datagrams();  // the cookies the spoofed sources never see
  CHECK(w.fw3.half_open() <= Engine::kCookieThreshold);
  w.advance(540'000);
  CHECK(w.fw1.take_installs().size() == 1);
  CHECK(w.fw3.take_installs().size() == 1);
}

TEST_CASE("dpd: a quiet IKE SA is checked, and one whose peer is gone is deleted", "[ike][dpd]") {
  EngineConfig a = side(true);
  a.peers[0].dpd_seconds = 30;
  Wire w(a, side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1_sent.clear();
  w.advance(30'000);
  REQUIRE(w.fw1_sent.size() == 1);  // the liveness check, answered
  CHECK(w.fw1.sas().size() == 1);
  CHECK(w.fw1.take_errors().empty());
  w.drop = [](const Datagram& d) { return d.local.address == *parse_ipv4("2.1.1.1"); };
  for (int i = 0; i < 300 && !w.fw1.sas().empty(); ++i) w.advance(1000);
  CHECK(w.fw1.sas().empty());
  auto errors = w.fw1.take_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].reason == ike::Failure::DpdTimeout);
}

TEST_CASE("sa trigger-mode auto negotiates without traffic, and again after a failure", "[ike]") {
  EngineConfig a = side(true);
  a.children[0].auto_negotiate = true;
  Wire w(a, side(false));
  w.advance(0);
  CHECK(w.fw1.take_installs().size() == 1);
  // Nothing more while it is up.
  w.advance(60'000);
  CHECK(w.fw1.take_installs().empty());
}

namespace {

// FW1's first IKE_SA_INIT request with its KE value replaced: what an attacker sends from FW1's
// address. The value is found by its bytes, FW1's own public value.
Bytes request_with_ke(Engine& fw1, std::span<const uint8_t> value) {
  Bytes request = fw1.take_datagrams().at(0).bytes;
  const Bytes& own = fw1.sas().at(0)->dh->public_value();
  auto at = std::search(request.begin(), request.end(), own.begin(), own.end());
  REQUIRE(at != request.end());
  REQUIRE(value.size() == own.size());
  std::copy(value.begin(), value.end(), at);
  return request;
}

// p - 2 of the MODP-2048 group: inside 2..p-2, so it passes the cheap checks, but a quadratic
// non-residue (p = 3 mod 4, and 2 is a residue), so it is outside the subgroup of order q, which
// only the modular exponentiation finds.
Bytes modp2048_outside_subgroup() {
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  REQUIRE(p != nullptr);
  REQUIRE(BN_sub_word(p, 2) == 1);
  Bytes out(256);
  REQUIRE(BN_bn2binpad(p, out.data(), 256) == 256);
  BN_free(p);
  return out;
}

}  // namespace

TEST_CASE(
    "a flood of IKE_SA_INIT requests with KE values outside the group turns into cookies "
    "(issue 25)",
    "[ike][hostile][limits]") {
  Engine fw3(side(false));
  fw3.share_work_budget(std::make_shared<WorkBudget>(1'000'000));  // the threshold, not the budget
  Engine fw1(side(true));
  REQUIRE(fw1.initiate(0, 0));
  Bytes forged = request_with_ke(fw1, modp2048_outside_subgroup());
  // 500 requests in one second from FW1's own (spoofed) address, each a new initiator SPI.
  const Endpoint fw3_end{ip("2.1.1.1"), 500};
  const Endpoint fw1_end{ip("1.1.1.1"), 500};
  size_t syntax = 0;
  size_t cookies = 0;
  for (uint32_t i = 0; i < 500; ++i) {
    store32(forged.data(), i + 1);
    fw3.receive(fw3_end, fw1_end, forged, i * 2);
    for (const auto& d : fw3.take_datagrams()) {
      syntax += carries_notify(d, notify::kInvalidSyntax);
      cookies += carries_notify(d, notify::kCookie);
    }
  }
  // Each of the first ones cost a key pair and a failed check and counts as a half-open SA
  // would; from the threshold on, the spoofed address gets cookies it never sees, for no work.
  CHECK(fw3.work_budget().computations() == Engine::kCookieThreshold);
  CHECK(syntax == Engine::kCookieThreshold);
  CHECK(cookies == 500 - Engine::kCookieThreshold);
  CHECK(fw3.refusals().responder_dh_mismatch == Engine::kCookieThreshold);
  CHECK(fw3.half_open() == 0);
  // The real FW1, meanwhile, returns the cookie and gets its tunnel.
  Engine real(side(true));
  REQUIRE(real.initiate(0, 1000));
  converse(real, fw3, 1000);
  CHECK(real.take_installs().size() == 1);
  // The wasted work is remembered as long as a half-open SA lives, then forgotten: no cookie.
  fw3.tick(1000 + WorkBudget::kWastedMemoryMs);
  store32(forged.data(), 9999);
  fw3.receive(fw3_end, fw1_end, forged, 1000 + WorkBudget::kWastedMemoryMs);
  auto answers = fw3.take_datagrams();
  REQUIRE(answers.size() == 1);
  CHECK(carries_notify(answers[0], notify::kInvalidSyntax));
}

TEST_CASE("KE values that fail the cheap checks cost no Diffie-Hellman work", "[ike][hostile]") {
  Engine fw3(side(false));
  Bytes zero(256, 0);
  Bytes one(256, 0);
  one.back() = 1;
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  Bytes p_less_one(256);
  REQUIRE(BN_sub_word(p, 1) == 1);
  REQUIRE(BN_bn2binpad(p, p_less_one.data(), 256) == 256);
  BN_free(p);
  Bytes all_ones(256, 0xff);  // above p
  for (const Bytes* value : {&zero, &one, &p_less_one, &all_ones}) {
    Engine fw1(side(true));
    REQUIRE(fw1.initiate(0, 0));
    const Bytes request = request_with_ke(fw1, *value);
    fw3.receive({ip("2.1.1.1"), 500}, {ip("1.1.1.1"), 500}, request, 0);
    auto answers = fw3.take_datagrams();
    REQUIRE(answers.size() == 1);
    CHECK(carries_notify(answers[0], notify::kInvalidSyntax));
  }
  CHECK(fw3.work_budget().computations() == 0);
  CHECK(fw3.refusals().responder_dh_mismatch == 4);
}

TEST_CASE(
    "the Diffie-Hellman budget bounds IKE's work per second, under pressure cookies let the "
    "initiators that prove their address through, every one in the end",
    "[ike][hostile][limits]") {
  EngineConfig any = side(false);  // answers any address, as a policy template does
  any.peers[0].remote_address.reset();
  any.peers[0].any_address = true;
  Engine fw3(any);
  const uint32_t per_second = 10;  // MODP-2048 computations
  auto budget =
      std::make_shared<WorkBudget>(per_second * WorkBudget::cost(*find_dh_group("group14")));
  fw3.share_work_budget(budget);
  // 30 initiators from 30 addresses, all at once.
  std::vector<std::unique_ptr<Engine>> initiators;
  auto address = [](size_t i) { return Ipv4{0x0b000001U + static_cast<uint32_t>(i)}; };
  for (int i = 0; i < 30; ++i) {
    initiators.push_back(std::make_unique<Engine>(side(true)));
    REQUIRE(initiators.back()->initiate(0, 0));
  }
  // The first second: requests without a cookie may spend half the budget; the first refusal
  // puts the responder under pressure, and every newcomer is asked for a cookie.
  auto deliver = [&](uint64_t now) {
    for (int round = 0; round < 10; ++round) {
      bool moved = false;
      for (size_t i = 0; i < initiators.size(); ++i) {
        for (auto& d : initiators[i]->take_datagrams()) {
          fw3.receive(d.remote, {address(i), d.local.port}, d.bytes, now);
          moved = true;
        }
      }
      for (auto& d : fw3.take_datagrams()) {
        const size_t i = d.remote.address.v - 0x0b000001U;
        REQUIRE(i < initiators.size());
        initiators[i]->receive({ip("1.1.1.1"), d.remote.port}, d.local, d.bytes, now);
        moved = true;
      }
      if (!moved) return;
    }
  };
  deliver(100);
  CHECK(budget->computations() == per_second);  // half without cookies, half with
  CHECK(budget->refused() > 0);
  CHECK(fw3.refusals().cookies_sent > 0);
  // Second after second, the unanswered initiators retransmit (with the cookie they were given)
  // and get through, never more than the budget's computations a second.
  uint64_t last = budget->computations();
  for (uint64_t now = 2100; now < 60'000; now += 1000) {
    for (auto& e : initiators) e->tick(now);
    fw3.tick(now);
    deliver(now);
    CHECK(budget->computations() - last <= per_second);
    last = budget->computations();
  }
  size_t through = 0;
  for (auto& e : initiators) through += e->take_installs().size();
  CHECK(through == initiators.size());
}

TEST_CASE(
    "a request with an IKE SA's SPIs and the previous message ID is answered again only when it "
    "is the same request",
    "[ike][hostile]") {
  Wire w(side(true), side(false));
  std::vector<Datagram> from_fw1;
  REQUIRE(w.fw1.initiate(0, 0));
  // FW1's IKE_AUTH request is lost on the way: FW3 holds a half-open SA.
  w.drop = [&](const Datagram& d) {
    if (d.local.address != ip("1.1.1.1")) return false;
    from_fw1.push_back(d);
    return from_fw1.size() == 2;
  };
  w.pump();
  REQUIRE(w.fw3.sas().size() == 1);
  REQUIRE(from_fw1.size() == 2);
  const IkeSa& sa = *w.fw3.sas()[0];
  const Endpoint fw3_end{ip("2.1.1.1"), 500};
  const Endpoint fw1_end{ip("1.1.1.1"), 500};
  // Forged: the SPIs on the wire, a message ID, any encrypted body.
  auto forged = [&](uint32_t id) {
    Header h;
    h.spi_i = sa.spi_i;
    h.spi_r = sa.spi_r;
    h.exchange = exchange::kInformational;
    h.flags = flag::kInitiator;
    h.message_id = id;
    PayloadWriter body;
    body.add(payload::kSk, Bytes(64, 0x5a));
    return encode_message(h, body);
  };
  // Message ID 0 is the IKE_SA_INIT's: its response is not reflected to FW1's address.
  for (int i = 0; i < 50; ++i) w.fw3.receive(fw3_end, fw1_end, forged(0), 10);
  CHECK(w.fw3.take_datagrams().empty());
  // The IKE_AUTH request arrives; then forgeries with its message ID get nothing...
  w.fw3.receive(fw3_end, fw1_end, from_fw1[1].bytes, 20);
  auto answer = w.fw3.take_datagrams();
  REQUIRE(answer.size() == 1);
  for (int i = 0; i < 50; ++i) w.fw3.receive(fw3_end, fw1_end, forged(1), 30);
  CHECK(w.fw3.take_datagrams().empty());
  // ...while the IKE_AUTH request itself, sent again (its response lost), is answered again.
  w.fw3.receive(fw3_end, fw1_end, from_fw1[1].bytes, 40);
  auto again = w.fw3.take_datagrams();
  REQUIRE(again.size() == 1);
  CHECK(again[0].bytes == answer[0].bytes);
}
