// Two IKEv1 engines negotiating in memory on a simulated clock: the seed's FW1 (1.1.1.1, branch
// 10.1.1.0/24) and FW3 (2.1.1.1, headquarters 10.2.1.0/24). Main mode and aggressive mode with
// quick mode, NAT traversal, retransmission, rekeying, deletes, DPD, and each IKEv1 failure of the
// seed reported on the failing side in its words.
#include <openssl/bn.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

#include "ike/v1/engine.hpp"
#include "ike_test_support.hpp"
#include "ike_wire.hpp"
#include "packet/packet.hpp"

using namespace vfw;
using namespace vfw::ike;
using vfw::test::ip;
using vfw::test::ip_id;
using vfw::test::subnet;
using V1Engine = vfw::ike::v1::Engine;

namespace {

Identification fqdn(const std::string& name) {
  Identification id;
  id.type = id_type::kFqdn;
  id.data.assign(name.begin(), name.end());
  return id;
}

IkeProposalConfig proposal(const char* cipher = "aes-256", const char* hash = "sha2-256",
                           const char* group = "group14") {
  IkeProposalConfig p;
  p.number = 10;
  p.v1_encryption = {v1::find_cipher(cipher)};
  p.v1_hash = {v1::find_hash(hash)};
  p.dh = {find_dh_group(group)};
  return p;
}

// One side of the seed's tunnel, IKEv1 only (undo version 2): FW1 when fw1, FW3 otherwise.
EngineConfig side(bool fw1, bool aggressive = false) {
  EngineConfig c = test::seed_side(fw1, proposal());
  c.peers[0].version2 = false;
  c.peers[0].aggressive = aggressive;
  return c;
}

using Wire = test::IkeWire<V1Engine>;

// A message as the RFC's diagrams show it: its header, and its payloads when in the clear.
struct OnWire {
  v1::Header header;
  v1::Payloads payloads;  // empty for an encrypted message
  bool encrypted() const { return (header.flags & v1::flag::kEncryption) != 0; }
};

OnWire on_wire(const Datagram& d) {
  v1::DecodeError error;
  const auto h = v1::decode_header(d.bytes, error);
  REQUIRE(h);
  OnWire out{*h, {}};
  if (!out.encrypted()) {
    REQUIRE(v1::decode_payloads(std::span<const uint8_t>(d.bytes).subspan(kHeaderBytes),
                                h->next_payload, out.payloads, error));
  }
  return out;
}

std::optional<v1::Header> header_of(const Datagram& d) {
  v1::DecodeError e;
  return v1::decode_header(d.bytes, e);
}

const ErrorRecord* find_error(const std::vector<ErrorRecord>& errors, const std::string& reason) {
  for (const auto& e : errors) {
    if (failure_words(e.reason) == reason) return &e;
  }
  return nullptr;
}

bool has_line(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

void check_pair(const ChildSaInstall& a, const ChildSaInstall& b) {
  CHECK(a.spi_out == b.spi_in);
  CHECK(a.spi_in == b.spi_out);
  CHECK(a.encryption_key_out == b.encryption_key_in);
  CHECK(a.encryption_key_in == b.encryption_key_out);
  CHECK(a.authentication_key_out == b.authentication_key_in);
  CHECK(a.authentication_key_in == b.authentication_key_out);
  CHECK((a.encryption_key_out.empty() ? a.authentication_key_out != a.authentication_key_in
                                      : a.encryption_key_out != a.encryption_key_in));
}

}  // namespace

TEST_CASE("IKEv1 main mode and quick mode establish the ISAKMP SA and an IPsec SA pair",
          "[ikev1]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  // Main mode: six messages; quick mode: three. FW1 sends 1, 3, 5 and QM 1, 3.
  CHECK(w.fw1_sent.size() == 5);
  CHECK(w.fw3_sent.size() == 4);
  for (size_t i = 0; i < 3; ++i) {
    auto h = header_of(w.fw1_sent[i]);
    REQUIRE(h);
    CHECK(h->exchange == v1::exchange::kMain);
    CHECK(((h->flags & v1::flag::kEncryption) != 0) == (i == 2));  // message 5 is encrypted
  }
  CHECK(header_of(w.fw1_sent[3])->exchange == v1::exchange::kQuick);
  auto a = w.fw1.take_installs();
  auto b = w.fw3.take_installs();
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  check_pair(a[0], b[0]);
  CHECK(a[0].encryption == ipsec::Encryption::Aes256);
  CHECK(a[0].encryption_key_in.size() == 32);
  CHECK(a[0].authentication_key_in.size() == 32);
  CHECK(a[0].local_ts == std::vector{subnet("10.1.1.0", "10.1.1.255")});
  CHECK(b[0].local_ts == std::vector{subnet("10.2.1.0", "10.2.1.255")});
  CHECK_FALSE(a[0].udp_encapsulation);
  REQUIRE(w.fw1.sas().size() == 1);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw1.sas()[0]->established());
  CHECK(w.fw1.sas()[0]->initiator);
  CHECK_FALSE(w.fw3.sas()[0]->initiator);
  CHECK(w.fw3.sas()[0]->peer_id.text() == "1.1.1.1");
  CHECK(w.fw1.sas()[0]->children.size() == 1);
  CHECK(w.fw3.half_open() == 0);
  CHECK(w.fw1.take_errors().empty());
  CHECK(w.fw3.take_errors().empty());
  // A second packet for the same entry starts nothing new.
  CHECK_FALSE(w.fw1.initiate(0, 1));
}

TEST_CASE("IKEv1 aggressive mode: three messages, the identities in clear, then quick mode",
          "[ikev1]") {
  Wire w(side(true, true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));

  // HDR, SA, KE, Ni, IDii, VID(RFC 3947), VID(DPD) -->   (RFC 2409 5.4, aggressive mode)
  const OnWire m1 = on_wire(w.fw1_to_fw3());
  CHECK(m1.header.exchange == v1::exchange::kAggressive);
  CHECK(m1.payloads.sa);
  CHECK(m1.payloads.ke);
  CHECK(m1.payloads.nonce);
  REQUIRE(m1.payloads.ids.size() == 1);  // the identity in clear: no protection in this mode
  CHECK(m1.payloads.has_vendor_id(v1::kNatTraversalVid));

  // <-- HDR, SA, KE, Nr, IDir, HASH_R, NAT-D, NAT-D
  const OnWire m2 = on_wire(w.fw3_to_fw1());
  CHECK(m2.header.exchange == v1::exchange::kAggressive);
  CHECK_FALSE(m2.encrypted());
  CHECK(m2.payloads.ke);
  CHECK(m2.payloads.ids.size() == 1);
  CHECK(m2.payloads.hash);
  CHECK(m2.payloads.nat_d.size() == 2);

  // HDR*, HASH_I, NAT-D, NAT-D -->
  const OnWire m3 = on_wire(w.fw1_to_fw3());
  CHECK(m3.header.exchange == v1::exchange::kAggressive);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw3.sas()[0]->aggressive);
  CHECK(w.fw3.sas()[0]->established());

  // Quick mode: HASH(1), SA, Ni, IDci, IDcr --> ; <-- HASH(2) ... ; HASH(3) -->
  CHECK(on_wire(w.fw1_to_fw3()).header.exchange == v1::exchange::kQuick);
  CHECK(on_wire(w.fw3_to_fw1()).header.exchange == v1::exchange::kQuick);
  CHECK(on_wire(w.fw1_to_fw3()).header.exchange == v1::exchange::kQuick);
  CHECK(w.quiet());
  auto a = w.fw1.take_installs();
  auto b = w.fw3.take_installs();
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  check_pair(a[0], b[0]);
}

TEST_CASE("IKEv1 algorithms: each phase 1 cipher and hash, each ESP and AH transform", "[ikev1]") {
  struct Case {
    const char* cipher;
    const char* hash;
    const char* group;
    ipsec::Encryption esp;
    ipsec::Authentication auth;
    uint8_t protocol;
  };
  const Case cases[] = {
      {"3des", "sha1", "group2", ipsec::Encryption::TripleDes, ipsec::Authentication::Sha1,
       protocol::kEsp},
      {"aes-128", "sha1", "group1", ipsec::Encryption::Aes128, ipsec::Authentication::Sha1,
       protocol::kEsp},
      {"3des", "md5", "group15", ipsec::Encryption::Aes256, ipsec::Authentication::Sha256,
       protocol::kEsp},
      {"aes-128", "md5", "group5", ipsec::Encryption::Aes128, ipsec::Authentication::Md5,
       protocol::kEsp},
      {"aes-192", "sha2-384", "group19", ipsec::Encryption::Aes192, ipsec::Authentication::Sha384,
       protocol::kEsp},
      {"aes-256", "sha2-512", "group20", ipsec::Encryption::AesGcm256, ipsec::Authentication::None,
       protocol::kEsp},
      {"aes-256", "sha2-256", "group21", ipsec::Encryption::None, ipsec::Authentication::Sha512,
       protocol::kAh},
  };
  for (const auto& c : cases) {
    INFO(c.cipher << " " << c.hash << " " << c.group);
    EngineConfig a = side(true);
    EngineConfig b = side(false);
    for (EngineConfig* x : {&a, &b}) {
      x->peers[0].proposals = {proposal(c.cipher, c.hash, c.group)};
      x->children[0].encryption = c.esp;
      x->children[0].authentication = c.auth;
      x->children[0].protocol = c.protocol;
    }
    Wire w(a, b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    auto ia = w.fw1.take_installs();
    auto ib = w.fw3.take_installs();
    REQUIRE(ia.size() == 1);
    REQUIRE(ib.size() == 1);
    check_pair(ia[0], ib[0]);
    CHECK(ia[0].protocol == c.protocol);
    CHECK(w.fw1.sas()[0]->cipher == v1::find_cipher(c.cipher));
    CHECK(w.fw1.sas()[0]->group == find_dh_group(c.group));
  }
}

TEST_CASE("IKEv1 quick mode with PFS: both sides agree, and a PFS mismatch is the seed's",
          "[ikev1]") {
  SECTION("PFS on both sides") {
    EngineConfig a = side(true);
    EngineConfig b = side(false);
    a.children[0].pfs = b.children[0].pfs = find_dh_group("group14");
    Wire w(a, b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    auto ia = w.fw1.take_installs();
    auto ib = w.fw3.take_installs();
    REQUIRE(ia.size() == 1);
    REQUIRE(ib.size() == 1);
    check_pair(ia[0], ib[0]);
  }
  SECTION("PFS on the initiator only") {
    EngineConfig a = side(true);
    a.children[0].pfs = find_dh_group("group14");
    Wire w(a, side(false));
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    CHECK(w.fw1.take_installs().empty());
    CHECK(w.fw3.take_installs().empty());
    const auto e3 = w.fw3.take_errors();
    const auto* r = find_error(e3, "phase2 proposal or pfs mismatch");
    REQUIRE(r);
    CHECK(r->version == 1);
    CHECK(r->notify == v1::notify::kNoProposalChosen);
    const auto e1 = w.fw1.take_errors();
    const auto* i = find_error(e1, "phase2 proposal or pfs mismatch");
    REQUIRE(i);
    CHECK(has_line(i->debug_after,
                   "Message from peer 2.1.1.1: dropping Message due to notification type "
                   "NO_PROPOSAL_CHOSEN"));
    // Phase 1 stays up: only the quick mode failed.
    CHECK(w.fw1.sas()[0]->established());
  }
}

TEST_CASE("IKEv1 failures of the seed, each on the failing side in its words", "[ikev1]") {
  SECTION("IKE proposal mismatch") {
    EngineConfig b = side(false);
    b.peers[0].proposals = {proposal("aes-128", "sha1", "group2")};
    Wire w(side(true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e3 = w.fw3.take_errors();
    REQUIRE(find_error(e3, "phase1 proposal mismatch"));
    CHECK(find_error(e3, "phase1 proposal mismatch")->detail.find("AES-256/SHA2-256/group14") !=
          std::string::npos);
    const auto e1 = w.fw1.take_errors();
    const auto* i = find_error(e1, "phase1 proposal mismatch");
    REQUIRE(i);
    CHECK(has_line(i->debug_before,
                   "17:5773 Message from peer 2.1.1.1: Got NOTIFY of type NO_PROPOSAL_CHOSEN"));
    CHECK(w.fw1.sas().empty());
    CHECK(w.fw3.sas().empty());
  }
  SECTION("pre-shared key mismatch in main mode: the responder cannot read message 5") {
    EngineConfig b = side(false);
    b.peers[0].pre_shared_key = "Other@2026";
    Wire w(side(true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e3 = w.fw3.take_errors();
    const auto* r = find_error(e3, "malformed payload");
    REQUIRE(r);
    CHECK(has_line(r->debug_before, "Message from peer 1.1.1.1: Message Sort Error Occurred"));
    const auto e1 = w.fw1.take_errors();
    const auto* i = find_error(e1, "malformed payload");
    REQUIRE(i);
    CHECK(has_line(i->debug_before,
                   "17:5773 Message from peer 2.1.1.1: Got NOTIFY of type PAYLOAD_MALFORMED"));
    CHECK(w.fw1.sas().empty());
    CHECK(w.fw3.sas().empty());
    CHECK(w.fw3.half_open() == 0);
  }
  SECTION("pre-shared key mismatch in aggressive mode: HASH_R does not verify") {
    EngineConfig b = side(false);
    b.peers[0].pre_shared_key = "Other@2026";
    Wire w(side(true, true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e1 = w.fw1.take_errors();
    REQUIRE(find_error(e1, "authentication fail"));
    CHECK(w.fw1.take_installs().empty());
  }
  SECTION("remote-address missing on the responder") {
    EngineConfig b = side(false);
    b.peers[0].remote_address = ip("3.3.3.3");
    Wire w(side(true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e3 = w.fw3.take_errors();
    const auto* r = find_error(e3, "peer address mismatch");
    REQUIRE(r);
    CHECK(has_line(r->debug_after,
                   "0:3595 Phase 1 Exchange: ike peer configuration not found for peer "
                   "\"1.1.1.1\""));
    CHECK(w.fw3.sas().empty());
  }
  SECTION("remote-id differs from the peer's name") {
    EngineConfig a = side(true);
    EngineConfig b = side(false);
    a.peers[0].local_id = fqdn("fw2");
    b.peers[0].remote_id = fqdn("fw3");
    Wire w(a, b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e3 = w.fw3.take_errors();
    const auto* r = find_error(e3, "config ID mismatch");
    REQUIRE(r);
    CHECK(has_line(r->debug_before,
                   "25:6956 ERROR - Received remote-name(fw2) does not match with peer "
                   "remote-name(fw3)"));
    const auto e1 = w.fw1.take_errors();
    REQUIRE(find_error(e1, "config ID mismatch"));
    CHECK(w.fw1.sas().empty());
  }
  SECTION("security ACLs that do not mirror each other") {
    EngineConfig b = side(false);
    b.children[0].remote_ts = {subnet("10.9.1.0", "10.9.1.255")};
    Wire w(side(true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    const auto e3 = w.fw3.take_errors();
    const auto* r = find_error(e3, "flow mismatch");
    REQUIRE(r);
    CHECK(r->notify == v1::notify::kInvalidIdInformation);
    const auto e1 = w.fw1.take_errors();
    const auto* i = find_error(e1, "flow mismatch");
    REQUIRE(i);
    CHECK(has_line(i->debug_before,
                   "Message from peer 2.1.1.1: Got NOTIFY of type INVALID_ID_INFORMATION"));
    CHECK(w.fw1.take_installs().empty());
  }
  SECTION("IPSec proposals that differ") {
    EngineConfig b = side(false);
    b.children[0].encryption = ipsec::Encryption::Aes128;
    Wire w(side(true), b);
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    REQUIRE(find_error(w.fw3.take_errors(), "phase2 proposal or pfs mismatch"));
    REQUIRE(find_error(w.fw1.take_errors(), "phase2 proposal or pfs mismatch"));
    CHECK(w.fw1.take_installs().empty());
  }
}

TEST_CASE("IKEv1 NAT traversal: vendor IDs, NAT-D, the float to 4500, UDP-encapsulated ESP",
          "[ikev1]") {
  for (const bool aggressive : {false, true}) {
    INFO((aggressive ? "aggressive" : "main") << " mode");
    Wire w(side(true, aggressive), side(false));
    w.fw3.configure(
        [] {
          EngineConfig b = side(false);
          b.peers[0].remote_address = ip("2.1.1.2");  // FW1 as the carrier shows it
          return b;
        }(),
        0);
    w.nat = true;
    REQUIRE(w.fw1.initiate(0, 0));
    w.pump();
    auto a = w.fw1.take_installs();
    auto b = w.fw3.take_installs();
    REQUIRE(a.size() == 1);
    REQUIRE(b.size() == 1);
    check_pair(a[0], b[0]);
    CHECK(a[0].udp_encapsulation);
    CHECK(b[0].udp_encapsulation);
    CHECK(b[0].remote_port == 2049);  // FW1's 4500 as the NAT maps it
    CHECK(w.fw1.sas()[0]->nat_local);
    CHECK(w.fw3.sas()[0]->nat_remote);
    CHECK(w.fw3.sas()[0]->remote.port == 2049);
    // After phase 1's NAT-D, FW1 talks from 4500.
    CHECK(w.fw1_sent.back().local.port == 4500);
    // The side behind the NAT keeps the mapping open.
    w.advance(V1Engine::kKeepaliveMs + 1);
    CHECK(std::any_of(w.fw1_sent.begin(), w.fw1_sent.end(),
                      [](const Datagram& d) { return d.keepalive; }));
  }
}

TEST_CASE("IKEv1 retransmission: a lost message is sent again, a repeated one answered again",
          "[ikev1]") {
  Wire w(side(true), side(false));
  int dropped = 0;
  w.drop = [&](const Datagram& d) {
    // The responder's first answer (main mode message 2) is lost once.
    auto h = header_of(d);
    if (dropped == 0 && d.local.address == ip("2.1.1.1") && h &&
        h->exchange == v1::exchange::kMain) {
      ++dropped;
      return true;
    }
    return false;
  };
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  CHECK(w.fw1.take_installs().empty());
  w.advance(V1Engine::kRetransmitBaseMs);
  CHECK(dropped == 1);
  CHECK(w.fw1.take_installs().size() == 1);
  CHECK(w.fw3.take_installs().size() == 1);
}

TEST_CASE("IKEv1 gives up on a silent peer after the retransmissions", "[ikev1]") {
  Wire w(side(true), side(false));
  w.drop = [](const Datagram&) { return true; };
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  for (int i = 0; i < 8; ++i) w.advance(V1Engine::kRetransmitBaseMs << 6);
  CHECK(find_error(w.fw1.take_errors(), "exchange timeout"));
  CHECK(w.fw1.sas().empty());
  // FW1 sent message 1 and its five retransmissions.
  CHECK(w.fw1_sent.size() == 1 + V1Engine::kMaxRetransmits);
}

TEST_CASE("IKEv1 rekeying: quick mode renews the IPsec SAs, phase 1 the ISAKMP SA", "[ikev1]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  a.children[0].lifetime_seconds = b.children[0].lifetime_seconds = 600;
  a.peers[0].proposals[0].lifetime_seconds = b.peers[0].proposals[0].lifetime_seconds = 3600;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  auto first = w.fw1.take_installs();
  REQUIRE(first.size() == 1);
  w.fw3.take_installs();
  // At 90% of 600 s, FW1 renews; the old pair is deleted on both sides.
  w.advance(541'000);
  auto again1 = w.fw1.take_installs();
  auto again3 = w.fw3.take_installs();
  REQUIRE(again1.size() == 1);
  REQUIRE(again3.size() == 1);
  check_pair(again1[0], again3[0]);
  CHECK(again1[0].spi_in != first[0].spi_in);
  auto removed1 = w.fw1.take_removals();
  auto removed3 = w.fw3.take_removals();
  REQUIRE(removed1.size() == 1);
  REQUIRE(removed3.size() == 1);
  CHECK(removed1[0].spi_in == first[0].spi_in);
  CHECK(removed3[0].spi_out == first[0].spi_in);
  CHECK(w.fw1.sas()[0]->children.size() == 1);
  CHECK(w.fw3.sas()[0]->children.size() == 1);
  // Phase 1 at 90% of 3600 s: a new ISAKMP SA takes the IPsec SAs over; the old one goes.
  while (w.now < 3'251'000) w.advance(10'000);
  REQUIRE(w.fw1.sas().size() == 1);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw1.sas()[0]->established_ms >= 3'240'000);
  CHECK(w.fw1.sas()[0]->children.size() == 1);
  CHECK(w.fw3.sas()[0]->children.size() == 1);
  CHECK(w.fw1.take_errors().empty());
  CHECK(w.fw3.take_errors().empty());
}

TEST_CASE("IKEv1 deletes: the peer removes what this side deletes", "[ikev1]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1.take_installs();
  w.fw3.take_installs();
  w.fw1.delete_children(w.now);
  w.pump();
  CHECK(w.fw3.take_removals().size() == 1);
  CHECK(w.fw3.sas()[0]->children.empty());
  CHECK(w.fw3.sas().size() == 1);
  w.fw1.delete_all(w.now);
  w.pump();
  CHECK(w.fw3.sas().empty());
}

TEST_CASE("IKEv1 DPD: R-U-THERE answered, a dead peer's SAs removed", "[ikev1]") {
  EngineConfig a = side(true);
  a.peers[0].dpd_seconds = 10;
  Wire w(a, side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  w.fw1.take_installs();
  w.advance(10'000);  // a liveness check, answered
  CHECK(w.fw1.sas().size() == 1);
  CHECK(w.fw1.take_errors().empty());
  w.drop = [](const Datagram&) { return true; };  // the peer is gone
  for (int i = 0; i < 20; ++i) w.advance(5'000);
  CHECK(find_error(w.fw1.take_errors(), "dpd timeout"));
  CHECK(w.fw1.sas().empty());
  CHECK(w.fw1.take_removals().size() == 1);
}

TEST_CASE("IKEv1 responder lifetime: the shorter lifetime wins on both sides", "[ikev1]") {
  EngineConfig b = side(false);
  b.children[0].lifetime_seconds = 1200;
  Wire w(side(true), b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  auto a = w.fw1.take_installs();
  auto c = w.fw3.take_installs();
  REQUIRE(a.size() == 1);
  REQUIRE(c.size() == 1);
  CHECK(a[0].lifetime_seconds == 1200);
  CHECK(c[0].lifetime_seconds == 1200);
}

TEST_CASE("IKEv1 hostile input: garbage and truncated messages never crash, never keep state",
          "[ikev1]") {
  V1Engine r(side(false));
  const Endpoint local{ip("2.1.1.1"), 500};
  const Endpoint remote{ip("1.1.1.1"), 500};
  // A real first message, cut at every length.
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  auto first = w.fw1.take_datagrams();
  REQUIRE(first.size() == 1);
  for (size_t n = 0; n < first[0].bytes.size(); ++n) {
    std::vector<uint8_t> cut(first[0].bytes.begin(), first[0].bytes.begin() + n);
    if (cut.size() >= 28) store32(cut.data() + 24, static_cast<uint32_t>(cut.size()));
    r.receive(local, remote, cut, 0);
  }
  CHECK(r.sas().empty());
  r.take_datagrams();  // the notifications some of those earned
  // A first message whose payload chain names an unknown payload: INVALID-PAYLOAD-TYPE back.
  std::vector<uint8_t> bad = first[0].bytes;
  bad[16] = 60;
  r.receive(local, remote, bad, 0);
  CHECK(r.sas().empty());
  auto answers = r.take_datagrams();
  REQUIRE(answers.size() == 1);
  v1::Payloads p;
  v1::DecodeError e;
  auto h = header_of(answers[0]);
  REQUIRE(h);
  REQUIRE(v1::decode_payloads(std::span(answers[0].bytes).subspan(kHeaderBytes), h->next_payload, p,
                              e));
  REQUIRE(p.notifications.size() == 1);
  CHECK(p.notifications[0].type == v1::notify::kInvalidPayloadType);
  CHECK(find_error(r.take_errors(), "malformed payload"));
  // Half-open SAs are bounded: message 1 floods stop being answered at the limit, and the
  // abandoned ones go after the retransmissions.
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> m = first[0].bytes;
    m[0] = static_cast<uint8_t>(i + 1);
    r.receive(local, remote, m, 0);
  }
  CHECK(r.half_open() == 50);
  for (int i = 0; i < 8; ++i) r.tick(uint64_t{V1Engine::kRetransmitBaseMs} << (i + 2));
  CHECK(r.half_open() == 0);
  CHECK(r.sas().empty());
  CHECK(r.take_errors().empty());
}

TEST_CASE("ipsec sha2 compatible: an IKEv1 SA with SHA2-256 truncates it to 96 bits", "[ikev1]") {
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  a.children[0].sha2_compatible = b.children[0].sha2_compatible = true;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  auto ia = w.fw1.take_installs();
  auto ib = w.fw3.take_installs();
  REQUIRE(ia.size() == 1);
  REQUIRE(ib.size() == 1);
  check_pair(ia[0], ib[0]);
  CHECK(ia[0].authentication == ipsec::Authentication::Sha256Truncated96);
  CHECK(ipsec::info(ia[0].authentication).icv_bytes == 12);
  CHECK(ia[0].authentication_key_in.size() == 32);
}

TEST_CASE("IKEv1: a delete for IPsec SAs that moved to a newer ISAKMP SA still removes them",
          "[ikev1]") {
  // strongSwan renews phase 1 by a new main mode and then deletes the old IPsec SAs through the
  // old ISAKMP SA; vfw has moved them to the new one by then.
  EngineConfig a = side(true);
  EngineConfig b = side(false);
  a.peers[0].proposals[0].lifetime_seconds = b.peers[0].proposals[0].lifetime_seconds = 600;
  Wire w(a, b);
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  auto first = w.fw1.take_installs();
  REQUIRE(first.size() == 1);
  w.advance(541'000);  // FW1 renews phase 1; the old ISAKMP SAs linger, replaced
  const v1::IsakmpSa* old = nullptr;
  for (const auto& sa : w.fw1.sas()) {
    if (sa->replaced) old = sa.get();
  }
  REQUIRE(old != nullptr);
  // An informational on the old ISAKMP SA: HASH(1) = prf(SKEYID_a, M-ID | D), encrypted with
  // hash(last phase 1 block | M-ID) as its IV.
  v1::PayloadWriter d;
  v1::Deletion del;
  del.protocol = v1::protocol::kEsp;
  del.spi_size = 4;
  del.spis.push_back(Bytes(4));
  store32(del.spis[0].data(), first[0].spi_in);
  d.deletion(del);
  const uint32_t mid = 0x0badcafe;
  Bytes input(4);
  store32(input.data(), mid);
  input.insert(input.end(), d.bytes().begin(), d.bytes().end());
  v1::PayloadWriter body;
  body.add(v1::payload::kHash, prf(*old->hash->prf, old->keys.a, input));
  body.append_chain(d);
  Bytes plain = body.bytes();
  plain.resize((plain.size() + 15) / 16 * 16, 0);
  REQUIRE(v1::cbc(*old->cipher, old->keys.encryption,
                  v1::exchange_iv(*old->hash, *old->cipher, old->iv, mid), plain, true));
  v1::Header h;
  h.cky_i = old->cky_i;
  h.cky_r = old->cky_r;
  h.next_payload = v1::payload::kHash;
  h.exchange = v1::exchange::kInformational;
  h.flags = v1::flag::kEncryption;
  h.message_id = mid;
  h.length = static_cast<uint32_t>(kHeaderBytes + plain.size());
  Bytes message(kHeaderBytes);
  v1::encode_header(h, message.data());
  message.insert(message.end(), plain.begin(), plain.end());
  w.fw3.take_removals();
  w.fw3.receive(old->remote, old->local, message, w.now);
  auto removed = w.fw3.take_removals();
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].spi_out == first[0].spi_in);
  for (const auto& sa : w.fw3.sas()) CHECK(sa->children.empty());
}

TEST_CASE("IKEv1 INITIAL-CONTACT: a peer that restarted clears the SAs of its previous life",
          "[ikev1]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));
  w.pump();
  const auto before = w.fw3.take_installs();
  REQUIRE(before.size() == 1);
  w.fw1.take_installs();
  // FW1 restarts: a new engine, with no memory of its SAs, negotiates again. Its message 5 says
  // INITIAL-CONTACT; FW3 drops what it held for FW1 instead of keeping it beside the new SAs.
  w.fw1 = V1Engine(side(true));
  w.now += 1000;
  REQUIRE(w.fw1.initiate(0, w.now));
  w.pump();
  CHECK(w.fw3.take_installs().size() == 1);
  const auto removed = w.fw3.take_removals();
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].spi_in == before[0].spi_in);
  REQUIRE(w.fw3.sas().size() == 1);
  CHECK(w.fw3.sas()[0]->children.size() == 1);
  // A phase 1 renewal by the same FW1 says nothing of the kind: the IPsec SAs move instead.
  CHECK(w.fw1.sas().size() == 1);
}

TEST_CASE("a payload chain's next type is checked before its length, as the seed's line shows",
          "[ike][ikev1]") {
  // What a wrong key makes of message 5: an ID payload whose next-payload field says 60 and
  // whose length is garbage. The device names the type ("Invalid Next Payload of Type 60 in
  // Payload Type 5"), not the length.
  const uint8_t chain[] = {60, 0, 0xff, 0xf0, 1, 0, 0, 0, 1, 1, 1, 1};
  v1::Payloads p;
  v1::DecodeError error;
  REQUIRE_FALSE(v1::decode_payloads(chain, v1::payload::kId, p, error));
  CHECK(error.reason == "Invalid Next Payload of Type 60 in Payload Type 5");
  CHECK(error.notify == v1::notify::kInvalidPayloadType);
  // A known next type with a length past the message is a malformed payload.
  const uint8_t known[] = {v1::payload::kHash, 0, 0xff, 0xf0, 1, 0, 0, 0};
  REQUIRE_FALSE(v1::decode_payloads(known, v1::payload::kId, p, error));
  CHECK(error.notify == v1::notify::kPayloadMalformed);
}

TEST_CASE(
    "IKEv1 aggressive mode's first message carries a KE: its Diffie-Hellman work is bounded "
    "per second (issue 25)",
    "[ikev1][hostile][limits]") {
  V1Engine fw3(side(false));
  auto budget = std::make_shared<WorkBudget>(10 * WorkBudget::cost(*find_dh_group("group14")));
  fw3.share_work_budget(budget);
  V1Engine fw1(side(true, true));
  REQUIRE(fw1.initiate(0, 0));
  Bytes first = fw1.take_datagrams().at(0).bytes;
  const Endpoint local{ip("2.1.1.1"), 500};
  const Endpoint remote{ip("1.1.1.1"), 500};
  // 30 first messages (new initiator cookies) in one second: aggressive mode's first message
  // proves nothing of its source, so it may spend half the budget: 5 answered, the rest not,
  // leaving no state.
  size_t answered = 0;
  for (int i = 0; i < 30; ++i) {
    store32(first.data(), static_cast<uint32_t>(i + 1));
    fw3.receive(local, remote, first, 500);
    answered += fw3.take_datagrams().size();
  }
  CHECK(answered == 5);
  CHECK(fw3.busy() == 25);
  CHECK(budget->computations() == 5);
  CHECK(fw3.half_open() == 5);
  // A value outside the group that fails a cheap check costs nothing; one that only the
  // exponentiation finds (p - 2) costs one computation, which is remembered.
  const Bytes own = fw1.sas().at(0)->dh->public_value();
  auto at = std::search(first.begin(), first.end(), own.begin(), own.end());
  REQUIRE(at != first.end());
  std::fill(at, at + static_cast<std::ptrdiff_t>(own.size()), uint8_t{0xff});
  store32(first.data(), 1000);
  fw3.receive(local, remote, first, 2000);
  CHECK(budget->computations() == 5);
  CHECK(find_error(fw3.take_errors(), "responder dh mismatch"));
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  REQUIRE(BN_sub_word(p, 2) == 1);
  REQUIRE(BN_bn2binpad(p, &*at, 256) == 256);
  BN_free(p);
  store32(first.data(), 1001);
  fw3.receive(local, remote, first, 2000);
  CHECK(budget->computations() == 6);
  CHECK(budget->wasted_total() == 1);
  CHECK(find_error(fw3.take_errors(), "responder dh mismatch"));
}

TEST_CASE("IKEv1 message by message: main mode and quick mode as RFC 2409 5.4 and 5.5 draw them",
          "[ikev1]") {
  Wire w(side(true), side(false));
  REQUIRE(w.fw1.initiate(0, 0));

  // HDR, SA, VID(RFC 3947), VID(DPD) -->
  const OnWire m1 = on_wire(w.fw1_to_fw3());
  CHECK(m1.header.exchange == v1::exchange::kMain);
  CHECK(m1.header.cky_r == 0);
  CHECK(m1.payloads.sa);
  CHECK(m1.payloads.has_vendor_id(v1::kNatTraversalVid));
  CHECK(m1.payloads.has_vendor_id(v1::kDpdVid));
  CHECK_FALSE(m1.payloads.ke);

  // <-- HDR, SA, VID(RFC 3947), VID(DPD)
  const OnWire m2 = on_wire(w.fw3_to_fw1());
  CHECK(m2.header.cky_i == m1.header.cky_i);
  CHECK(m2.header.cky_r != 0);
  CHECK(m2.payloads.sa);
  CHECK(m2.payloads.has_vendor_id(v1::kNatTraversalVid));

  // HDR, KE, Ni, NAT-D, NAT-D -->
  const OnWire m3 = on_wire(w.fw1_to_fw3());
  CHECK(m3.payloads.ke);
  CHECK(m3.payloads.nonce);
  CHECK(m3.payloads.nat_d.size() == 2);
  CHECK_FALSE(m3.payloads.sa);

  // <-- HDR, KE, Nr, NAT-D, NAT-D
  const OnWire m4 = on_wire(w.fw3_to_fw1());
  CHECK(m4.payloads.ke);
  CHECK(m4.payloads.nonce);
  CHECK(m4.payloads.nat_d.size() == 2);

  // HDR*, IDii, HASH_I -->
  const OnWire m5 = on_wire(w.fw1_to_fw3());
  CHECK(m5.encrypted());
  CHECK(m5.header.exchange == v1::exchange::kMain);
  CHECK(m5.header.message_id == 0);

  // <-- HDR*, IDir, HASH_R
  const OnWire m6 = on_wire(w.fw3_to_fw1());
  CHECK(m6.encrypted());
  CHECK(m6.header.exchange == v1::exchange::kMain);
  REQUIRE(w.fw1.sas().size() == 1);
  CHECK(w.fw1.sas()[0]->established());

  // HDR*, HASH(1), SA, Ni, IDci, IDcr -->
  const OnWire q1 = on_wire(w.fw1_to_fw3());
  CHECK(q1.encrypted());
  CHECK(q1.header.exchange == v1::exchange::kQuick);
  CHECK(q1.header.message_id != 0);

  // <-- HDR*, HASH(2), SA, Nr, IDci, IDcr
  const OnWire q2 = on_wire(w.fw3_to_fw1());
  CHECK(q2.header.exchange == v1::exchange::kQuick);
  CHECK(q2.header.message_id == q1.header.message_id);
  // The initiator has the responder's choice and keys: its pair is in before the last message.
  CHECK(w.fw1.take_installs().size() == 1);

  // HDR*, HASH(3) -->
  const OnWire q3 = on_wire(w.fw1_to_fw3());
  CHECK(q3.header.exchange == v1::exchange::kQuick);
  CHECK(q3.header.message_id == q1.header.message_id);
  CHECK(w.fw3.take_installs().size() == 1);

  // Nine messages, nothing more in flight.
  CHECK(w.quiet());
  CHECK(w.fw1_sent.size() == 5);
  CHECK(w.fw3_sent.size() == 4);
}
