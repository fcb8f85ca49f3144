// RFC 791 reassembly of what is addressed to a node itself: whole datagrams back from fragments in
// any order, duplicates harmless, overlaps and the ping of death dropped by name, the table bounded
// and aged. Then the lab: a large ping crosses the seed's tunnel as fragments only, and comes back.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "lab/lab.hpp"
#include "packet/fragmentation.hpp"
#include "packet/reassembly.hpp"
#include "seed_lab.hpp"

using namespace vfw;
using namespace vfw::lab;

namespace {

std::vector<uint8_t> datagram(uint16_t id, uint16_t size) {
  PacketSpec s;
  s.src = *parse_ipv4("2.1.1.1");
  s.dst = *parse_ipv4("1.1.1.1");
  s.protocol = ipproto::kUdp;
  s.src_port = 4500;
  s.dst_port = 4500;
  s.total_length = size;
  s.ip_id = id;
  std::vector<uint8_t> p = build_packet(s);
  for (size_t i = 28; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7);  // a payload to see
  return p;
}

std::vector<std::vector<uint8_t>> fragments_of(const std::vector<uint8_t>& p, uint32_t mtu) {
  PacketInfo info;
  REQUIRE(parse_ipv4(p, info) == DropReason::None);
  return fragment_ipv4(p.data(), info, mtu);
}

Reassembler::Outcome add(Reassembler& r, const std::vector<uint8_t>& f, uint32_t now,
                         DropCounters& drops) {
  PacketInfo info;
  REQUIRE(parse_ipv4(f, info) == DropReason::None);
  REQUIRE(info.is_fragment());
  return r.add(f, info, now, drops);
}

}  // namespace

TEST_CASE("fragments in any order make the datagram they came from, byte for byte",
          "[packet][reassembly]") {
  const auto whole = datagram(7, 4000);
  auto pieces = fragments_of(whole, 1500);
  REQUIRE(pieces.size() == 3);
  std::vector<size_t> order{0, 1, 2};
  do {
    INFO("order " << order[0] << order[1] << order[2]);
    Reassembler r;
    DropCounters drops;
    CHECK_FALSE(add(r, pieces[order[0]], 0, drops).complete());
    CHECK_FALSE(add(r, pieces[order[1]], 0, drops).complete());
    CHECK(r.pending() == 1);
    const auto out = add(r, pieces[order[2]], 0, drops);
    REQUIRE(out.complete());
    CHECK(out.fragments == 3);
    CHECK(out.datagram == whole);  // header checksum, length and flags restored
    CHECK(r.pending() == 0);
    CHECK(r.bytes_held() == 0);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST_CASE(
    "a fragment received twice is harmless, one that overlaps with other bytes drops its "
    "datagram",
    "[packet][reassembly]") {
  const auto whole = datagram(8, 3000);
  const auto pieces = fragments_of(whole, 1500);
  REQUIRE(pieces.size() == 3);
  {
    Reassembler r;
    DropCounters drops;
    CHECK_FALSE(add(r, pieces[0], 0, drops).complete());
    CHECK_FALSE(add(r, pieces[0], 0, drops).complete());  // a duplicate on the wire
    CHECK_FALSE(add(r, pieces[1], 0, drops).complete());
    CHECK(add(r, pieces[2], 0, drops).datagram == whole);
    CHECK(drops[DropReason::FragmentOverlap] == 0);
  }
  {
    // The second fragment again, its bytes changed: what an attacker slips past a filter.
    Reassembler r;
    DropCounters drops;
    CHECK_FALSE(add(r, pieces[0], 0, drops).complete());
    CHECK_FALSE(add(r, pieces[1], 0, drops).complete());
    auto forged = pieces[1];
    forged[40] ^= 0xff;
    CHECK(add(r, forged, 0, drops).dropped == DropReason::FragmentOverlap);
    CHECK(r.pending() == 0);
    // Every fragment the datagram held is counted with the one that broke it.
    CHECK(drops[DropReason::FragmentOverlap] == 3);
    // What comes after starts a new datagram that never completes from the old one's pieces.
    CHECK_FALSE(add(r, pieces[2], 0, drops).complete());
  }
  {
    // A fragment that starts inside another (offset 8 into the first).
    Reassembler r;
    DropCounters drops;
    CHECK_FALSE(add(r, pieces[0], 0, drops).complete());
    auto shifted = pieces[1];
    store16(&shifted[6], static_cast<uint16_t>(0x2000 | 1));  // offset 8 bytes
    store16(&shifted[10], 0);
    store16(&shifted[10], internet_checksum({shifted.data(), 20}));
    CHECK(add(r, shifted, 0, drops).dropped == DropReason::FragmentOverlap);
  }
}

TEST_CASE("malformed fragments and the ping of death are dropped by name", "[packet][reassembly]") {
  Reassembler r;
  DropCounters drops;
  auto pieces = fragments_of(datagram(9, 3000), 1500);
  // The last fragment moved to offset 65528: the datagram would pass IP's 65,535 bytes.
  auto death = pieces[2];
  store16(&death[6], static_cast<uint16_t>(65528 / 8));
  store16(&death[10], 0);
  store16(&death[10], internet_checksum({death.data(), 20}));
  CHECK(add(r, death, 0, drops).dropped == DropReason::FragmentTooLong);
  // A fragment with more to come must carry a multiple of 8 bytes.
  auto odd = pieces[0];
  odd.resize(odd.size() - 3);
  store16(&odd[2], static_cast<uint16_t>(odd.size()));
  store16(&odd[10], 0);
  store16(&odd[10], internet_checksum({odd.data(), 20}));
  CHECK(add(r, odd, 0, drops).dropped == DropReason::FragmentMalformed);
  // Two last fragments of different lengths.
  CHECK_FALSE(add(r, pieces[2], 0, drops).complete());
  auto shorter = pieces[2];
  shorter.resize(shorter.size() - 8);
  store16(&shorter[2], static_cast<uint16_t>(shorter.size()));
  store16(&shorter[10], 0);
  store16(&shorter[10], internet_checksum({shorter.data(), 20}));
  CHECK(add(r, shorter, 0, drops).dropped != DropReason::None);
  CHECK(r.pending() == 0);
  CHECK(r.bytes_held() == 0);
}

TEST_CASE("the reassembly table is bounded in datagrams and bytes, and ages",
          "[packet][reassembly]"
          "[limits]") {
  Reassembler r(ReassemblyLimits{4, 64 * 1024, 30});
  DropCounters drops;
  // Four first fragments whose rest never comes fill the table.
  for (uint16_t id = 1; id <= 4; ++id)
    CHECK_FALSE(add(r, fragments_of(datagram(id, 3000), 1500)[0], 0, drops).complete());
  const auto late = fragments_of(datagram(5, 3000), 1500);
  CHECK(add(r, late[0], 10, drops).dropped == DropReason::ReassemblyTableFull);
  // The datagrams that are waiting still complete.
  const auto second = fragments_of(datagram(2, 3000), 1500);
  CHECK_FALSE(add(r, second[1], 10, drops).complete());
  CHECK(add(r, second[2], 10, drops).complete());
  // 30 seconds on, the others are forgotten, counted, and the newcomer gets its place.
  CHECK(add(r, late[0], 30, drops).dropped == DropReason::None);
  CHECK(drops[DropReason::ReassemblyTimeout] == 3);
  CHECK(r.pending() == 1);
  // Bytes: fragments of many datagrams whose sum passes the bound are refused.
  Reassembler small(ReassemblyLimits{1000, 16 * 1024, 30});
  int refused = 0;
  for (uint16_t id = 1; id <= 20; ++id) {
    if (add(small, fragments_of(datagram(id, 3000), 1500)[0], 0, drops).dropped ==
        DropReason::ReassemblyTableFull)
      ++refused;
  }
  CHECK(refused == 10);
  CHECK(small.bytes_held() <= 16 * 1024);
}

namespace {

using test::seed_lab;

struct Captured {
  uint16_t total_length = 0;
  uint8_t protocol = 0;
  bool fragment = false;
};

// The IPv4 packets of a capture the lab wrote (pcap, Ethernet).
std::vector<Captured> read_capture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Captured> out;
  auto u8 = [&](size_t at) { return static_cast<uint8_t>(bytes.at(at)); };
  auto le32 = [&](size_t at) {
    return uint32_t{u8(at)} | uint32_t{u8(at + 1)} << 8 | uint32_t{u8(at + 2)} << 16 |
           uint32_t{u8(at + 3)} << 24;
  };
  for (size_t at = 24; at + 16 <= bytes.size();) {
    const uint32_t length = le32(at + 8);
    const size_t frame = at + 16;
    if (u8(frame + 12) == 0x08 && u8(frame + 13) == 0x00) {
      const size_t ip = frame + 14;
      const bool fragment = ((u8(ip + 6) & 0x3f) | u8(ip + 7)) != 0;  // MF or an offset
      out.push_back({static_cast<uint16_t>(u8(ip + 2) << 8 | u8(ip + 3)), u8(ip + 9), fragment});
    }
    at = frame + length;
  }
  return out;
}

}  // namespace

TEST_CASE(
    "a large ping crosses the tunnel as fragments only, reassembled by the far firewall and "
    "the host",
    "[lab][reassembly]") {
  auto lab = seed_lab();
  REQUIRE(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 1).received == 1);  // the tunnel up
  REQUIRE(lab->capture("fw2:GigabitEthernet0/0/2", "reassembly-carrier.pcap"));
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", "reassembly-lan.pcap"));
  // 2,000 bytes: PC1 sends two fragments; FW1 encapsulates each, the first of them too big for the
  // carrier's 1,500 bytes, so ESP leaves as fragments that FW3 reassembles before decrypting.
  const Lab::PingResult r = lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3, 2000);
  INFO(r.text);
  CHECK(r.received == 3);
  REQUIRE(lab->capture("fw2:GigabitEthernet0/0/2", ""));
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", ""));
  const auto carrier = read_capture("reassembly-carrier.pcap");
  size_t esp_fragments = 0;
  for (const auto& p : carrier) {
    CHECK(p.total_length <= 1500);  // never the whole packet beside its fragments
    if (p.protocol == ipproto::kEsp && p.fragment) ++esp_fragments;
  }
  // Each way, each echo: the first inner fragment's ESP packet in two fragments (the second inner
  // fragment's ESP packet fits whole).
  CHECK(esp_fragments == 12);
  for (const auto& p : read_capture("reassembly-lan.pcap")) CHECK(p.total_length <= 1500);
  for (const char* fw : {"fw1", "fw3"}) {
    const auto& drops = lab->device(fw)->runtime().drops;
    CHECK(drops[DropReason::IpsecUnknownSpi] == 0);
    CHECK(drops[DropReason::FragmentOverlap] == 0);
    CHECK(drops[DropReason::IpsecMalformed] == 0);
  }
}
