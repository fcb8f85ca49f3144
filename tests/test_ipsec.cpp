#include <catch2/catch.hpp>
#include <set>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/line_runner.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/replay_window.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

const char* kLan = "GigabitEthernet0/0/1";
const char* kWan = "GigabitEthernet0/0/2";

struct Tunnel {
  Device fw1{load_example("ipsec-manual-fw1.cfg")};
  Device fw3{load_example("ipsec-manual-fw3.cfg")};
};

}  // namespace

TEST_CASE("AES-CBC matches RFC 3602 case 1", "[ipsec][crypto]") {
  ipsec::SaCrypto c;
  REQUIRE(c.init(ipsec::Encryption::Aes128, unhex("06a9214036b8a15b512e03d534120006"),
                 ipsec::Authentication::Sha256, std::vector<uint8_t>(32, 0x0b), true)
              .has_value());
  std::string text = "Single block msg";
  std::vector<uint8_t> data(text.begin(), text.end());
  REQUIRE(c.cbc(data.data(), data.size(), unhex("3dafba429d9eb430b422da802c9fac41").data()));
  CHECK(hex(data.data(), data.size()) == "e353779c1079aeb82708942dbe77181a");
}

TEST_CASE("an SA is made only with keys of its algorithms' lengths", "[ipsec][crypto]") {
  const std::vector<uint8_t> key16(16, 0x42);
  const std::vector<uint8_t> key32(32, 0x24);
  ipsec::SaSpec spec;
  spec.spi = 0x1000;
  spec.encryption = ipsec::Encryption::Aes256;
  spec.encryption_key = key16;
  spec.authentication = ipsec::Authentication::Sha256;
  spec.authentication_key = key32;
  auto short_key = ipsec::make_sa(spec);
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().message == "the encryption key must be 32 bytes for aes-256");
  spec.encryption_key = key32;
  spec.authentication_key = key16;
  auto short_mac = ipsec::make_sa(spec);
  REQUIRE_FALSE(short_mac);
  CHECK(short_mac.error().message == "the authentication key must be 32 bytes for sha2-256");
  spec.authentication_key = key32;
  spec.anti_replay_window = 128;
  spec.inbound = true;
  auto made = ipsec::make_sa(spec);
  REQUIRE(made);
  CHECK((*made)->spi == 0x1000);
  CHECK((*made)->replay.size() == 128);
  CHECK((*made)->crypto.encryption() == ipsec::Encryption::Aes256);
}

TEST_CASE("HMAC-SHA-256-128 matches RFC 4868 test case 1", "[ipsec][crypto]") {
  ipsec::SaCrypto c;
  REQUIRE(c.init(ipsec::Encryption::None, {}, ipsec::Authentication::Sha256,
                 std::vector<uint8_t>(32, 0x0b), true)
              .has_value());
  const std::string text = "Hi There";
  uint8_t icv[16];
  const std::array<std::span<const uint8_t>, 1> pieces = {
      std::span<const uint8_t>{reinterpret_cast<const uint8_t*>(text.data()), text.size()}};
  REQUIRE(c.mac(pieces, icv));
  CHECK(hex(icv, 16) == "198a607eb44bfbc69903a0f1cf2bbdc5");
}

TEST_CASE("AES-GCM as ESP uses it (RFC 4106) matches the GCM specification's test case 2",
          "[ipsec][crypto]") {
  // Key 0^128 with a zero salt and a zero IV: nonce 0^96, as the GCM test case.
  ipsec::SaCrypto c;
  REQUIRE(c.init(ipsec::Encryption::AesGcm128, std::vector<uint8_t>(20, 0),
                 ipsec::Authentication::None, {}, true)
              .has_value());
  std::vector<uint8_t> data(16, 0);
  const uint8_t iv[8] = {0};
  uint8_t tag[16];
  REQUIRE(c.gcm_seal(data.data(), data.size(), iv, {}, tag));
  CHECK(hex(data.data(), 16) == "0388dace60b6a392f328c2b971b2fe78");
  CHECK(hex(tag, 16) == "ab6e47d42cec13bdf53a67b21257bddf");
}

TEST_CASE("the anti-replay window accepts each number once and nothing left of the window",
          "[ipsec]") {
  ipsec::ReplayWindow w(64);
  CHECK_FALSE(w.check(0));
  for (uint32_t s : {1u, 3u, 2u, 100u}) {
    REQUIRE(w.check(s));
    w.update(s);
  }
  CHECK_FALSE(w.check(3));
  CHECK_FALSE(w.check(36));  // 100 - 64: just outside
  CHECK(w.check(37));
  CHECK(w.check(99));
  w.update(1000);
  CHECK_FALSE(w.check(100));
}

TEST_CASE("two vfw devices with mirrored manual SAs carry traffic both ways", "[ipsec]") {
  Tunnel t;
  Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.1.2", 7), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(out.after.protocol == ipproto::kEsp);
  CHECK(out.after.src == *parse_ipv4("1.1.1.1"));
  CHECK(out.after.dst == *parse_ipv4("2.1.1.1"));
  CHECK(out.step(StageId::Ipsec)->result == Outcome::Encapsulated);

  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  REQUIRE(in.action == Action::Forward);
  CHECK(in.trace.steps.at(1).stage == StageId::IpsecInbound);
  CHECK(in.trace.steps.at(1).result == Outcome::Decapsulated);
  CHECK(in.trace.result.output == kLan);
  PacketInfo inner;
  REQUIRE(parse_ipv4(in.bytes, inner) == DropReason::None);
  CHECK(inner.src == *parse_ipv4("10.1.1.2"));
  CHECK(inner.dst == *parse_ipv4("10.2.1.2"));
  CHECK(inner.src_port == 7);

  // The reply goes back through FW3's outbound SA and FW1's inbound SA.
  PacketSpec reply = icmp("10.2.1.2", "10.1.1.2", 7);
  reply.icmp_type = 0;
  Sent back = send(t.fw3, reply, kLan);
  REQUIRE(back.action == Action::Forward);
  CHECK(back.after.protocol == ipproto::kEsp);
  Sent home = send_bytes(t.fw1, back.bytes, kWan);
  REQUIRE(home.action == Action::Forward);
  CHECK(home.trace.result.output == kLan);
  CHECK(home.step(StageId::Session)->result == Outcome::Hit);  // FW1's session of the echo request
}

TEST_CASE("ESP works with each cipher and in transport mode", "[ipsec]") {
  for (const auto& [enc, auth, enc_len, auth_len] :
       std::vector<std::tuple<std::string, std::string, size_t, size_t>>{
           {"aes-128", "sha1", 16, 20},
           {"3des", "md5", 24, 16},
           {"aes-gcm-256", "sha2-256", 36, 32},
           {"aes-192", "sha2-512", 24, 64}}) {
    INFO(enc << " " << auth);
    Tunnel t;
    for (Device* d : {&t.fw1, &t.fw3}) {
      auto& p = d->edit().ipsec_proposals[0];
      p.esp_encryption = enc;
      p.esp_authentication = auth;
      for (auto& pol : d->edit().ipsec_policies) {
        // Each side's outbound key is the other's inbound key: derive both from the SPI.
        for (auto* k : {&pol.esp_in, &pol.esp_out}) {
          const char fill = *k->spi == 12345 ? '1' : '2';
          k->encryption_hex = std::string(enc_len * 2, fill);
          k->authentication_hex = std::string(auth_len * 2, fill == '1' ? '3' : '4');
        }
      }
      d->apply();
      REQUIRE(d->sa_errors().empty());
    }
    Sent out = send(t.fw1, udp("10.1.1.2", 5000, "10.2.1.2", 53), kLan);
    REQUIRE(out.action == Action::Forward);
    Sent in = send_bytes(t.fw3, out.bytes, kWan);
    CHECK(in.action == Action::Forward);
    CHECK(in.drop() == DropReason::None);
  }
}

TEST_CASE("inbound IPSec failures are named drops", "[ipsec]") {
  Tunnel t;
  Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  REQUIRE(out.action == Action::Forward);

  SECTION("an altered byte fails the ICV") {
    auto bytes = out.bytes;
    bytes[bytes.size() - 20] ^= 0x01;
    CHECK(send_bytes(t.fw3, bytes, kWan).drop() == DropReason::IpsecIcvFailure);
  }
  SECTION("a replayed packet is dropped") {
    REQUIRE(send_bytes(t.fw3, out.bytes, kWan).action == Action::Forward);
    CHECK(send_bytes(t.fw3, out.bytes, kWan).drop() == DropReason::IpsecReplay);
    CHECK(t.fw3.runtime().drops[DropReason::IpsecReplay] == 1);
  }
  SECTION("an unknown SPI is dropped") {
    auto bytes = out.bytes;
    store32(&bytes[20], 999);
    CHECK(send_bytes(t.fw3, bytes, kWan).drop() == DropReason::IpsecUnknownSpi);
  }
  SECTION("a truncated ESP packet is dropped") {
    std::vector<uint8_t> bytes(out.bytes.begin(), out.bytes.begin() + 40);
    store16(&bytes[2], 40);
    store16(&bytes[10], 0);
    store16(&bytes[10], internet_checksum({bytes.data(), 20}));
    CHECK(send_bytes(t.fw3, bytes, kWan).drop() == DropReason::IpsecMalformed);
  }
  SECTION("bad padding after a valid ICV is dropped") {
    // Encrypt and authenticate, with FW1's outbound keys, a payload whose padding is wrong.
    ipsec::Sa* sa = t.fw1.runtime().sad.outbound("map1", 10);
    REQUIRE(sa != nullptr);
    std::vector<uint8_t> pkt(20 + 8 + 16 + 48 + 16, 0);
    auto inner = build_packet(icmp("10.1.1.2", "10.2.1.2"));  // 46 bytes
    std::copy(inner.begin(), inner.end(), pkt.begin() + 44);
    pkt[44 + 46] = 7;      // the pad length says 7 ...
    pkt[44 + 46 + 1] = 4;  // ... but there is no padding before it
    store32(&pkt[20], sa->spi);
    store32(&pkt[24], 1);
    REQUIRE(sa->crypto.cbc(&pkt[44], 48, &pkt[28]));
    const std::array<std::span<const uint8_t>, 1> pieces = {
        std::span<const uint8_t>{&pkt[20], 8 + 16 + 48}};
    REQUIRE(sa->crypto.mac(pieces, &pkt[44 + 48]));
    pkt[0] = 0x45;
    store16(&pkt[2], static_cast<uint16_t>(pkt.size()));
    pkt[8] = 64;
    pkt[9] = ipproto::kEsp;
    store32(&pkt[12], *parse_ipv4("1.1.1.1") == Ipv4{} ? 0 : parse_ipv4("1.1.1.1")->v);
    store32(&pkt[16], parse_ipv4("2.1.1.1")->v);
    store16(&pkt[10], internet_checksum({pkt.data(), 20}));
    CHECK(send_bytes(t.fw3, pkt, kWan).drop() == DropReason::IpsecBadPadding);
  }
}

TEST_CASE("the seed's pre- and post-IPSec checks", "[ipsec]") {
  Tunnel t;
  // Pre-IPSec: plain text that the policy says must arrive protected.
  Sent plain = send(t.fw3, icmp("10.1.1.2", "10.2.1.2"), kWan);
  CHECK(plain.drop() == DropReason::IpsecPlaintextProtected);

  // Post-IPSec: FW1 protects a wider flow than FW3 accepts from the tunnel.
  t.fw1.edit().acls.at(3000).rules[0].destination =
      Wildcard{*parse_ipv4("10.2.0.0"), *parse_ipv4("0.0.255.255")};
  // ... and exempts it from NAT, or the easy-ip rule would translate it out of the ACL.
  t.fw1.edit().nat_policy.rules[0].destination_addresses[0].prefix =
      Prefix::make(*parse_ipv4("10.2.0.0"), 16);
  t.fw1.apply();
  Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.2.9"), kLan);
  REQUIRE(out.action == Action::Forward);
  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  CHECK(in.drop() == DropReason::IpsecSelectorMismatch);
}

TEST_CASE("NAT-T: ESP in UDP 4500 both ways (RFC 3948)", "[ipsec]") {
  Tunnel t;
  t.fw1.runtime().sad.outbound("map1", 10)->udp_encapsulation = true;
  Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(out.after.protocol == ipproto::kUdp);
  CHECK(out.after.src_port == 4500);
  CHECK(out.after.dst_port == 4500);
  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  CHECK(in.action == Action::Forward);
  // A UDP 4500 datagram with the non-ESP marker is IKE, for the device.
  auto ike = build_packet(udp("1.1.1.1", 4500, "2.1.1.1", 4500));
  std::fill(ike.begin() + 28, ike.begin() + 32, 0);  // the non-ESP marker
  store16(&ike[26], 0);                              // no UDP checksum
  CHECK(send_bytes(t.fw3, ike, kWan).action == Action::ToDevice);
}

TEST_CASE("an encapsulated packet over the MTU: DF answered with the reduced MTU, else fragmented",
          "[ipsec]") {
  Tunnel t;
  PacketSpec big = icmp("10.1.1.2", "10.2.1.2");
  big.total_length = 1480;
  big.dont_fragment = true;
  Sent df = send(t.fw1, big, kLan);
  CHECK(df.drop() == DropReason::FragmentNeeded);
  REQUIRE(df.emitted.size() == 1);
  const uint16_t mtu = load16(&df.emitted[0].bytes[26]);
  CHECK(mtu < 1500);
  CHECK(mtu >= 1500 - 80);  // the seed's overhead table: ESP adds about 56 bytes, tunnel mode 20
  big.dont_fragment = false;
  Sent frag = send(t.fw1, big, kLan);
  REQUIRE(frag.action == Action::Forward);
  CHECK(frag.emitted.size() == 2);  // the ESP packet, fragmented after encapsulation
}

TEST_CASE("fragmentation-needed over a tunnel reports one MTU: the largest packet that fits",
          "[ipsec]") {
  // Every DF packet too big gets the same next-hop MTU, whatever its own size (the padding made it
  // vary with the size before); a packet of exactly that size passes, one byte more does not.
  Tunnel t;
  std::set<uint16_t> reported;
  uint16_t id = 1;
  for (const uint16_t size : std::array<uint16_t, 5>{1439, 1450, 1463, 1480, 1500}) {
    PacketSpec big = icmp("10.1.1.2", "10.2.1.2", id++);
    big.total_length = size;
    big.dont_fragment = true;
    Sent df = send(t.fw1, big, kLan);
    if (df.action == Action::Forward) continue;
    REQUIRE(df.drop() == DropReason::FragmentNeeded);
    REQUIRE(df.emitted.size() == 1);
    reported.insert(load16(&df.emitted[0].bytes[26]));
  }
  REQUIRE(reported.size() == 1);
  const uint16_t mtu = *reported.begin();
  PacketSpec fits = icmp("10.1.1.2", "10.2.1.2", id++);
  fits.total_length = mtu;
  fits.dont_fragment = true;
  Sent ok = send(t.fw1, fits, kLan);
  CHECK(ok.action == Action::Forward);
  CHECK(ok.bytes.size() <= 1500);
  fits.total_length = static_cast<uint16_t>(mtu + 1);
  fits.src_port = id++;
  CHECK(send(t.fw1, fits, kLan).drop() == DropReason::FragmentNeeded);
}

TEST_CASE("a session counts the bytes of every packet the same way, tunnel or not", "[ipsec]") {
  // The first packet used to be counted at egress, after ESP had grown it; later ones at the
  // session stage.
  Tunnel t;
  PacketSpec p = icmp("10.1.1.2", "10.2.1.2", 9);
  p.total_length = 200;
  REQUIRE(send(t.fw1, p, kLan).action == Action::Forward);
  REQUIRE(send(t.fw1, p, kLan).action == Action::Forward);
  uint64_t bytes = 0;
  uint64_t packets = 0;
  t.fw1.runtime().sessions.for_each([&](uint32_t, const Session& s) {
    bytes += s.bytes[0];
    packets += s.packets[0];
  });
  CHECK(packets == 2);
  CHECK(bytes == 400);
}

TEST_CASE("display ipsec sa shows each SA with its counters, as the device does",
          "[ipsec][display]") {
  Tunnel t;
  setenv("TZ", "UTC", 1);
  tzset();
  t.fw1.fix_wall_clock(1746630628130);  // the sample's 2025-05-07 15:10:28.130
  t.fw1.set_time(0);
  t.fw3.set_time(0);
  for (int i = 0; i < 4; ++i) {
    Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.1.2", 3), kLan);
    REQUIRE(out.action == Action::Forward);
    if (i < 3) {
      PacketSpec reply = icmp("10.2.1.2", "10.1.1.2", 3);
      reply.icmp_type = 0;
      Sent back = send(t.fw3, reply, kLan);
      REQUIRE(send_bytes(t.fw1, back.bytes, kWan).action == Action::Forward);
    }
  }
  t.fw1.set_time(884);  // 14 min 44 s, as in the sample
  LineRunner console(t.fw1);
  const std::string shown = console.run("display ipsec sa", 0).out;
  const std::string path = std::string(VFW_SOURCE_DIR) + "/tests/golden/display-ipsec-sa.txt";
  if (std::getenv("VFW_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << shown;
  std::ifstream in(path);
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(shown == expected.str());
  CHECK(console.run("display ipsec sa brief", 0).out ==
        "current ipsec sa number: 2\ncurrent ipsec tunnel number: 1\n"
        "---------------------------------------------------------------------\n"
        "Src Address     Dst Address     SPI        Protocol  Algorithm\n"
        "---------------------------------------------------------------------\n"
        "2.1.1.1         1.1.1.1         54321      ESP       E:AES-256;A:HMAC-SHA2-256-128;\n"
        "1.1.1.1         2.1.1.1         12345      ESP       E:AES-256;A:HMAC-SHA2-256-128;\n");
}

TEST_CASE("tcp adjust-mss clamps the MSS of SYNs crossing the interface", "[ipsec]") {
  Tunnel t;
  t.fw1.edit().interfaces.at("GigabitEthernet0/0/2").tcp_adjust_mss = 1350;
  t.fw1.apply();
  PacketSpec syn = tcp("10.1.1.2", 40000, "10.2.1.2", 443);
  syn.tcp_mss = 1460;
  Sent out = send(t.fw1, syn, kLan);
  REQUIRE(out.action == Action::Forward);
  const auto& changes = out.step(StageId::TcpMss)->changes;
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].field == "tcp-mss");
  CHECK(changes[0].after == "1350");
  // Through the tunnel, the inner SYN carries the clamped MSS with a valid checksum.
  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  REQUIRE(in.action == Action::Forward);
  CHECK(load16(&in.bytes[20 + 22]) == 1350);
  const size_t l4 = in.bytes.size() - 20;
  const uint32_t pseudo = load16(&in.bytes[12]) + load16(&in.bytes[14]) + load16(&in.bytes[16]) +
                          load16(&in.bytes[18]) + ipproto::kTcp + static_cast<uint32_t>(l4);
  CHECK(internet_checksum({in.bytes.data() + 20, l4}, pseudo) == 0);
  // A smaller MSS is left alone.
  syn.tcp_mss = 1200;
  syn.src_port = 40001;
  CHECK(send(t.fw1, syn, kLan).step(StageId::TcpMss)->changes.empty());
}

TEST_CASE("AH and ESP transport mode carry traffic between two devices", "[ipsec]") {
  for (const bool use_ah : {true, false}) {
    INFO((use_ah ? "AH tunnel" : "ESP transport"));
    Tunnel t;
    for (Device* d : {&t.fw1, &t.fw3}) {
      auto& p = d->edit().ipsec_proposals[0];
      if (use_ah) {
        p.transform = config::IpsecProposal::Transform::Ah;
        p.ah_authentication = "sha1";
        for (auto& pol : d->edit().ipsec_policies) {
          pol.ah_in = config::ManualSaKeys{pol.esp_in.spi, "",
                                           std::string(40, *pol.esp_in.spi == 12345 ? '5' : '6')};
          pol.ah_out = config::ManualSaKeys{pol.esp_out.spi, "",
                                            std::string(40, *pol.esp_out.spi == 12345 ? '5' : '6')};
        }
      } else {
        p.tunnel = false;
      }
      d->apply();
      REQUIRE(d->sa_errors().empty());
    }
    Sent out = send(t.fw1, udp("10.1.1.2", 5000, "10.2.1.2", 53), kLan);
    REQUIRE(out.action == Action::Forward);
    CHECK(out.after.protocol == (use_ah ? ipproto::kAh : ipproto::kEsp));
    if (!use_ah) {
      // Transport mode keeps the original addresses in the only IP header.
      CHECK(out.after.src == *parse_ipv4("10.1.1.2"));
      continue;  // (FW3 is not addressed: transport mode is for traffic to the gateway, below)
    }
    auto tampered = out.bytes;
    tampered[tampered.size() - 1] ^= 0x80;  // a payload byte: AH protects it
    CHECK(send_bytes(t.fw3, tampered, kWan).drop() == DropReason::IpsecIcvFailure);
    auto ttl_changed = out.bytes;  // the TTL is mutable: a router on the way may change it
    ttl_changed[8] = 17;
    store16(&ttl_changed[10], 0);
    store16(&ttl_changed[10], internet_checksum({ttl_changed.data(), 20}));
    Sent in = send_bytes(t.fw3, ttl_changed, kWan);
    CHECK(in.action == Action::Forward);
  }
}

TEST_CASE("transform ah-esp: ESP, then AH over the ESP packet, undone in reverse", "[ipsec]") {
  Tunnel t;
  for (Device* d : {&t.fw1, &t.fw3}) {
    d->edit().ipsec_proposals[0].transform = config::IpsecProposal::Transform::AhEsp;
    d->edit().ipsec_proposals[0].ah_authentication = "sha2-256";
    for (auto& pol : d->edit().ipsec_policies) {
      // AH SPIs next to the ESP ones; keys mirrored like theirs.
      pol.ah_in = config::ManualSaKeys{*pol.esp_in.spi + 1, "",
                                       std::string(64, *pol.esp_in.spi == 12345 ? '8' : '9')};
      pol.ah_out = config::ManualSaKeys{*pol.esp_out.spi + 1, "",
                                        std::string(64, *pol.esp_out.spi == 12345 ? '8' : '9')};
    }
    d->apply();
    REQUIRE(d->sa_errors().empty());
  }
  Sent out = send(t.fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(out.after.protocol == ipproto::kAh);
  CHECK(out.bytes[20] == ipproto::kEsp);  // AH's next header: the ESP packet it protects
  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  CHECK(in.action == Action::Forward);
  CHECK(in.trace.result.output == kLan);
  CHECK(t.fw3.runtime().sad.inbound(12346, *parse_ipv4("2.1.1.1"), ipproto::kAh)->packets == 1);
  CHECK(t.fw3.runtime().sad.inbound(12345, *parse_ipv4("2.1.1.1"), ipproto::kEsp)->packets == 1);
}

TEST_CASE("ESP transport mode protects traffic addressed to the peer gateway", "[ipsec]") {
  Tunnel t;
  for (Device* d : {&t.fw1, &t.fw3}) {
    d->edit().ipsec_proposals[0].tunnel = false;
    const bool fw1 = d == &t.fw1;
    // The flow between the gateways' own addresses (FW1's side as SNAT leaves it: easy-ip 1.1.1.1).
    auto& rule = d->edit().acls.at(3000).rules[0];
    rule.source = Wildcard{*parse_ipv4(fw1 ? "1.1.1.1" : "2.1.1.1"), Ipv4{0}};
    rule.destination = Wildcard{*parse_ipv4(fw1 ? "2.1.1.1" : "1.1.1.1"), Ipv4{0}};
    d->apply();
  }
  t.fw3.edit().interfaces.at(kWan).service_manage.permitted.add(config::ManageService::Ping);
  t.fw3.apply();
  Sent out = send(t.fw1, icmp("10.1.1.2", "2.1.1.1"), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(out.after.protocol == ipproto::kEsp);
  CHECK(out.after.src == *parse_ipv4("1.1.1.1"));  // the original header, after SNAT
  Sent in = send_bytes(t.fw3, out.bytes, kWan);
  CHECK(in.action == Action::ToDevice);
  CHECK(in.step(StageId::IpsecInbound)->result == Outcome::Decapsulated);
  CHECK(in.step(StageId::SecurityPolicy)->matched ==
        "service-manage on GigabitEthernet0/0/2 (untrust -> local)");
}
