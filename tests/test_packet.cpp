#include <catch2/catch.hpp>
#include <random>

#include "packet/packet.hpp"

using namespace vfw;

namespace {

PacketSpec udp_spec() {
  PacketSpec s;
  s.protocol = ipproto::kUdp;
  s.src = *parse_ipv4("10.1.1.2");
  s.dst = *parse_ipv4("10.2.1.2");
  s.src_port = 40000;
  s.dst_port = 53;
  return s;
}

void refresh_ip_checksum(std::vector<uint8_t>& p) {
  store16(&p[10], 0);
  store16(&p[10], internet_checksum({p.data(), static_cast<size_t>((p[0] & 0x0f) * 4)}));
}

uint16_t l4_checksum_of(const std::vector<uint8_t>& p, uint8_t proto) {
  // Recomputes the TCP/UDP checksum from scratch over the pseudo-header (RFC 793/768).
  const size_t ihl = (p[0] & 0x0f) * 4;
  const size_t len = p.size() - ihl;
  uint32_t pseudo = load16(&p[12]) + load16(&p[14]) + load16(&p[16]) + load16(&p[18]) + proto +
                    static_cast<uint32_t>(len);
  std::vector<uint8_t> l4(p.begin() + static_cast<long>(ihl), p.end());
  const size_t at = proto == ipproto::kTcp ? 16 : 6;
  store16(&l4[at], 0);
  uint16_t c = internet_checksum(l4, pseudo);
  return proto == ipproto::kUdp && c == 0 ? 0xffff : c;
}

}  // namespace

TEST_CASE("addresses parse strictly and print as dotted quads", "[packet]") {
  CHECK(to_string(*parse_ipv4("10.1.1.2")) == "10.1.1.2");
  CHECK_FALSE(parse_ipv4("10.1.1"));
  CHECK_FALSE(parse_ipv4("10.1.1.256"));
  CHECK_FALSE(parse_ipv4("10..1.1"));
  CHECK_FALSE(parse_ipv4("10.1.1.1.1"));
  CHECK(parse_mask_or_length("24") == 24u);
  CHECK(parse_mask_or_length("255.255.255.0") == 24u);
  CHECK_FALSE(parse_mask_or_length("255.0.255.0"));
  CHECK_FALSE(parse_mask_or_length("33"));
}

TEST_CASE("the Internet checksum matches the RFC 1071 example", "[packet]") {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
  const std::vector<uint8_t> bytes = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(internet_checksum(bytes) == static_cast<uint16_t>(~0xddf2));
}

namespace {

// RFC 1071's definition, word by word in network order: what the faster sums must agree with.
uint16_t reference_checksum(std::span<const uint8_t> bytes, uint32_t initial) {
  uint64_t sum = initial;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    sum += uint32_t{bytes[i]} << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

TEST_CASE("the word-at-a-time checksum equals RFC 1071's word by word sum", "[packet]") {
  // Every length from 0 to 99 (odd ones end in half a word), random bytes, and the initial sums
  // a pseudo-header brings, large ones included.
  std::mt19937 rng(29);
  for (size_t length = 0; length < 100; ++length) {
    for (int round = 0; round < 20; ++round) {
      std::vector<uint8_t> bytes(length);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      // 0xff bytes push every carry: the fold must still come out right.
      if (round == 0) std::fill(bytes.begin(), bytes.end(), 0xff);
      // Small sums as pseudo-headers bring, and the largest a 32-bit sum can hold.
      const uint32_t initial = round < 2   ? 0
                               : round < 4 ? 0xffffffffU - static_cast<uint32_t>(rng() % 0x20000)
                                           : static_cast<uint32_t>(rng() % 0x3fffc);
      INFO("length " << length << " round " << round);
      CHECK(internet_checksum(bytes, initial) == reference_checksum(bytes, initial));
    }
  }
}

TEST_CASE("the 20-byte header check finds every flipped bit that the full sum finds", "[packet]") {
  auto good = build_packet(udp_spec());
  PacketInfo info;
  REQUIRE(parse_ipv4(good, info) == DropReason::None);
  for (size_t bit = 0; bit < 160; ++bit) {
    auto p = good;
    p[bit / 8] ^= static_cast<uint8_t>(1U << (bit % 8));
    // A flip in the version or length fields is its own drop; any other is the checksum's.
    const DropReason r = parse_ipv4(p, info);
    INFO("bit " << bit);
    CHECK(r != DropReason::None);
    if (bit >= 32 && bit < 160) CHECK(r == DropReason::IpBadChecksum);
  }
  // The same header with a correct checksum after any change parses: the fast check agrees with
  // the checksum the generic sum computes.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    auto p = good;
    for (size_t i = 4; i < 20; ++i) p[i] = static_cast<uint8_t>(rng());
    store16(&p[6], 0);  // not a fragment
    p[9] = ipproto::kUdp;
    store16(&p[10], 0);
    store16(&p[10], internet_checksum({p.data(), 20}));
    INFO("round " << round);
    CHECK(parse_ipv4(p, info) == DropReason::None);
  }
}

TEST_CASE("a refused transport header still leaves the IP header's fields to log", "[packet]") {
  auto p = build_packet(udp_spec());
  p.resize(24);  // the UDP header cut to 4 bytes
  store16(&p[2], 24);
  store16(&p[10], 0);
  store16(&p[10], internet_checksum({p.data(), 20}));
  PacketInfo info;
  info.src_port = 7;  // whatever an earlier packet left
  REQUIRE(parse_ipv4(p, info) == DropReason::L4Truncated);
  CHECK(info.src == *parse_ipv4("10.1.1.2"));
  CHECK(info.dst == *parse_ipv4("10.2.1.2"));
  CHECK(info.protocol == ipproto::kUdp);
  CHECK(info.total_length == 24);
  CHECK(info.src_port == 0);
  CHECK_FALSE(info.has_l4);
}

TEST_CASE("built packets are valid and parse back to their fields", "[packet]") {
  auto p = build_packet(udp_spec());
  PacketInfo info;
  REQUIRE(parse_ipv4(p, info) == DropReason::None);
  CHECK(info.src == *parse_ipv4("10.1.1.2"));
  CHECK(info.dst_port == 53);
  CHECK(info.total_length == 46);
  CHECK(l4_checksum_of(p, ipproto::kUdp) == load16(&p[26]));
}

TEST_CASE("each malformed IPv4 header is dropped with its own reason", "[packet]") {
  PacketInfo info;
  auto good = build_packet(udp_spec());

  SECTION("shorter than a header") {
    std::vector<uint8_t> p(good.begin(), good.begin() + 19);
    CHECK(parse_ipv4(p, info) == DropReason::IpTooShort);
  }
  SECTION("version 6 in an IPv4 header") {
    good[0] = 0x65;
    CHECK(parse_ipv4(good, info) == DropReason::IpBadVersion);
  }
  SECTION("IHL below 5") {
    good[0] = 0x44;
    CHECK(parse_ipv4(good, info) == DropReason::IpBadHeaderLength);
  }
  SECTION("total length below the header length") {
    store16(&good[2], 12);
    refresh_ip_checksum(good);
    CHECK(parse_ipv4(good, info) == DropReason::IpBadTotalLength);
  }
  SECTION("total length beyond the bytes received") {
    store16(&good[2], 400);
    refresh_ip_checksum(good);
    CHECK(parse_ipv4(good, info) == DropReason::IpTruncated);
  }
  SECTION("a flipped bit fails the header checksum") {
    good[8] ^= 0x01;
    CHECK(parse_ipv4(good, info) == DropReason::IpBadChecksum);
  }
  SECTION("an option whose length runs past the header") {
    std::vector<uint8_t> p(good.begin(), good.begin() + 20);
    p.insert(p.end(), {0x07, 0x09, 0x04, 0x00});  // record route claiming 9 bytes in a 4-byte area
    p.insert(p.end(), good.begin() + 20, good.end());
    p[0] = 0x46;
    store16(&p[2], static_cast<uint16_t>(p.size()));
    refresh_ip_checksum(p);
    CHECK(parse_ipv4(p, info) == DropReason::IpBadOptions);
  }
  SECTION("a UDP header cut short") {
    std::vector<uint8_t> p(good.begin(), good.begin() + 24);
    store16(&p[2], 24);
    refresh_ip_checksum(p);
    CHECK(parse_ipv4(p, info) == DropReason::L4Truncated);
  }
  SECTION("a TCP data offset beyond the segment") {
    PacketSpec s = udp_spec();
    s.protocol = ipproto::kTcp;
    auto p = build_packet(s);
    p[32] = 0xf0;  // data offset 60 bytes in a 26-byte segment
    CHECK(parse_ipv4(p, info) == DropReason::TcpBadHeaderLength);
  }
}

TEST_CASE("valid options are accepted and skipped", "[packet]") {
  auto good = build_packet(udp_spec());
  std::vector<uint8_t> p(good.begin(), good.begin() + 20);
  p.insert(p.end(), {0x01, 0x01, 0x01, 0x00});  // NOP NOP NOP EOL
  p.insert(p.end(), good.begin() + 20, good.end());
  p[0] = 0x46;
  store16(&p[2], static_cast<uint16_t>(p.size()));
  refresh_ip_checksum(p);
  PacketInfo info;
  REQUIRE(parse_ipv4(p, info) == DropReason::None);
  CHECK(info.header_length == 24);
  CHECK(info.dst_port == 53);
}

TEST_CASE("later fragments carry no ports, first fragments do", "[packet]") {
  auto p = build_packet(udp_spec());
  PacketInfo info;
  store16(&p[6], 0x2000);  // MF, offset 0
  refresh_ip_checksum(p);
  REQUIRE(parse_ipv4(p, info) == DropReason::None);
  CHECK(info.is_fragment());
  CHECK(info.has_l4);
  store16(&p[6], 0x0003);  // offset 24 bytes, last fragment
  refresh_ip_checksum(p);
  REQUIRE(parse_ipv4(p, info) == DropReason::None);
  CHECK(info.is_later_fragment());
  CHECK_FALSE(info.has_l4);
  CHECK(info.src_port == 0);
}

TEST_CASE("ICMP echo and reply are keyed alike: identifier and type 8 code 0", "[packet]") {
  PacketSpec s;
  s.src = *parse_ipv4("10.1.1.2");
  s.dst = *parse_ipv4("10.2.1.2");
  s.src_port = 77;
  auto request = build_packet(s);
  s.icmp_type = 0;
  auto reply = build_packet(s);
  PacketInfo a, b;
  REQUIRE(parse_ipv4(request, a) == DropReason::None);
  REQUIRE(parse_ipv4(reply, b) == DropReason::None);
  CHECK(a.src_port == 77);
  CHECK(a.dst_port == 2048);
  CHECK(b.dst_port == 2048);
}

TEST_CASE("incremental checksum updates equal a full recomputation (RFC 1624)", "[packet]") {
  std::mt19937 rng(1624);
  for (uint8_t proto : {ipproto::kTcp, ipproto::kUdp, ipproto::kIcmp}) {
    for (int i = 0; i < 200; ++i) {
      PacketSpec s = udp_spec();
      s.protocol = proto;
      s.src = Ipv4{static_cast<uint32_t>(rng())};
      s.dst = Ipv4{static_cast<uint32_t>(rng())};
      s.src_port = static_cast<uint16_t>(rng());
      s.total_length = static_cast<uint16_t>(60 + rng() % 400);
      auto p = build_packet(s);
      PacketInfo info;
      REQUIRE(parse_ipv4(p, info) == DropReason::None);
      rewrite_source(p.data(), info, Ipv4{static_cast<uint32_t>(rng())},
                     static_cast<uint16_t>(rng()));
      rewrite_destination(p.data(), info, Ipv4{static_cast<uint32_t>(rng())},
                          static_cast<uint16_t>(rng()));
      decrement_ttl(p.data());
      CHECK(internet_checksum({p.data(), 20}) == 0);
      if (proto == ipproto::kIcmp) {
        CHECK(internet_checksum({p.data() + 20, p.size() - 20}) == 0);
      } else {
        CHECK(l4_checksum_of(p, proto) == load16(&p[20 + (proto == ipproto::kTcp ? 16 : 6)]));
      }
    }
  }
}
