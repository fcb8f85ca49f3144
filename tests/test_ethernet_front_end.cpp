// A device on Ethernet (device/ethernet_front_end): ARP answered and learnt, a ping to an interface
// answered, a forwarded packet waiting for its next hop's ARP reply, and the seed's network built
// from three devices on frames (FW1, the carrier, FW3) carrying PC1's ping to PC2 through the
// IKEv2 tunnel it brings up. What `vfw run --bind` does on AF_PACKET, without sockets.
#include <catch2/catch.hpp>
#include <deque>
#include <map>

#include "cli/line_runner.hpp"
#include "device/ethernet_front_end.hpp"
#include "lab.hpp"
#include "netio/segmentation.hpp"

using namespace vfw;

namespace {

MacAddress mac(uint8_t node, uint8_t port) {
  return {0x02, 0, 0, 0, node, port};
}

// Frames that leave, by (device, interface).
struct Wire {
  std::map<std::pair<int, uint16_t>, std::vector<std::vector<uint8_t>>> sent;
  EthernetFrontEnd::SendFrame to(int device) {
    return
        [this, device](uint16_t interface, std::span<const uint8_t> frame, EthernetFrontEnd::Tag) {
          sent[{device, interface}].emplace_back(frame.begin(), frame.end());
        };
  }
};

void deliver(EthernetFrontEnd& f, uint16_t interface, std::vector<uint8_t> frame) {
  frame.resize(frame.size() + 128);  // room for ESP
  EthernetFrontEnd::Frame one{frame.data(), static_cast<uint32_t>(frame.size() - 128),
                              static_cast<uint32_t>(frame.size())};
  f.receive(interface, {&one, 1});
}

std::vector<uint8_t> arp_frame(const MacAddress& from, Ipv4 sender, Ipv4 target,
                               uint16_t op = ArpMessage::kRequest,
                               const MacAddress& to = kBroadcastMac) {
  return ethernet_frame(to, from, kEtherTypeArp,
                        arp_bytes({op, from, sender, op == 1 ? MacAddress{} : to, target}));
}

std::optional<ArpMessage> arp_of(const std::vector<uint8_t>& frame) {
  if (load16(&frame[12]) != kEtherTypeArp) return std::nullopt;
  return parse_arp(std::span<const uint8_t>(frame).subspan(14));
}

PacketInfo ip_of(const std::vector<uint8_t>& frame) {
  PacketInfo info;
  REQUIRE(load16(&frame[12]) == kEtherTypeIpv4);
  REQUIRE(parse_ipv4(std::span<const uint8_t>(frame).subspan(14), info) == DropReason::None);
  return info;
}

std::string typed(Device& d, const std::string& line) {
  LineRunner run(d);
  const LineOutput out = run.run(line, 0);
  return out.out + out.err;
}

Ipv4 ip(const char* text) {
  return *parse_ipv4(text);
}

// The seed's FW1 on frames, both interfaces attached; PC1 sends a web request to the internet.
struct Fw1OnFrames {
  Device fw1{test::load_example("fw1.cfg")};
  Wire wire;
  EthernetFrontEnd frames{fw1, wire.to(1)};
  uint16_t ge1 = fw1.snapshot().interface_index("GigabitEthernet0/0/1");
  uint16_t ge2 = fw1.snapshot().interface_index("GigabitEthernet0/0/2");
  Fw1OnFrames() {
    frames.attach(ge1, mac(1, 1));
    frames.attach(ge2, mac(1, 2));
  }
  void send_web() {
    const PacketSpec web = test::tcp("10.1.1.2", 40000, "8.8.8.8", 443);
    deliver(frames, ge1, ethernet_frame(mac(1, 1), mac(9, 1), kEtherTypeIpv4, build_packet(web)));
  }
};

}  // namespace

TEST_CASE("a device on frames answers ARP for its address only, learns the asker, answers ping",
          "[netio]") {
  Device fw1(test::load_example("fw1.cfg"));
  Wire wire;
  EthernetFrontEnd frames(fw1, wire.to(1));
  const uint16_t ge1 = fw1.snapshot().interface_index("GigabitEthernet0/0/1");
  const MacAddress fw1_mac = mac(1, 1);
  frames.attach(ge1, fw1_mac);
  const MacAddress pc1 = mac(9, 1);

  deliver(frames, ge1, arp_frame(pc1, ip("10.1.1.2"), ip("10.1.1.99")));
  CHECK(wire.sent.empty());  // not its address: no answer
  deliver(frames, ge1, arp_frame(pc1, ip("10.1.1.2"), ip("10.1.1.1")));
  auto& out = wire.sent[{1, ge1}];
  REQUIRE(out.size() == 1);
  const auto reply = arp_of(out[0]);
  REQUIRE(reply);
  CHECK(reply->op == ArpMessage::kReply);
  CHECK(reply->sender == ip("10.1.1.1"));
  CHECK(reply->sender_mac == fw1_mac);
  CHECK(reply->target_mac == pc1);
  CHECK(std::equal(pc1.begin(), pc1.end(), out[0].begin()));  // to PC1's MAC address
  REQUIRE(fw1.arp().find(ge1, ip("10.1.1.2"), fw1.now()) != nullptr);

  // service-manage ping permit on GE0/0/1: the echo request is answered, to the MAC it learnt.
  PacketSpec ping = test::icmp("10.1.1.2", "10.1.1.1", 7);
  deliver(frames, ge1, ethernet_frame(fw1_mac, pc1, kEtherTypeIpv4, build_packet(ping)));
  REQUIRE(out.size() == 2);
  const PacketInfo echo = ip_of(out[1]);
  CHECK(echo.src == ip("10.1.1.1"));
  CHECK(echo.dst == ip("10.1.1.2"));
  CHECK(out[1][14 + 20] == 0);   // echo reply
  CHECK(out[1][14 + 8] == 255);  // the USG's TTL
  // A frame for another station is not the device's.
  deliver(frames, ge1, ethernet_frame(mac(7, 7), pc1, kEtherTypeIpv4, build_packet(ping)));
  CHECK(out.size() == 2);
  CHECK(frames.counters(ge1).not_for_us == 1);
}

TEST_CASE("a forwarded packet waits for its next hop's ARP reply, then leaves translated",
          "[netio]") {
  Fw1OnFrames setup;
  setup.send_web();
  auto& out = setup.wire.sent[{1, setup.ge2}];
  REQUIRE(out.size() == 1);
  const auto request = arp_of(out[0]);
  REQUIRE(request);
  CHECK(request->op == ArpMessage::kRequest);
  CHECK(request->target == ip("1.1.1.2"));  // the default route's next hop, not 8.8.8.8
  CHECK(request->sender == ip("1.1.1.1"));
  // The carrier answers: the packet that waited leaves, to its MAC address, translated.
  const MacAddress carrier = mac(2, 1);
  deliver(setup.frames, setup.ge2,
          arp_frame(carrier, ip("1.1.1.2"), ip("1.1.1.1"), ArpMessage::kReply, mac(1, 2)));
  REQUIRE(out.size() == 2);
  const PacketInfo left = ip_of(out[1]);
  CHECK(std::equal(carrier.begin(), carrier.end(), out[1].begin()));
  CHECK(left.src == ip("1.1.1.1"));  // easy-ip
  CHECK(left.dst == ip("8.8.8.8"));
  CHECK(left.dst_port == 443);
}

TEST_CASE("an unanswered ARP request is sent three times, then its packets are given up",
          "[netio]") {
  Fw1OnFrames setup;
  setup.send_web();
  for (uint32_t t = 1; t <= 4; ++t) {
    setup.fw1.set_time(t);
    setup.frames.run();
  }
  auto& out = setup.wire.sent[{1, setup.ge2}];
  CHECK(out.size() == 3);
  for (const auto& f : out) CHECK(arp_of(f));
  CHECK(setup.frames.counters(setup.ge2).unresolved == 1);
}

TEST_CASE("the seed's network on frames: PC1's ping brings the tunnel up and reaches PC2",
          "[netio]") {
  Device fw1(test::load_example("fw1.cfg"));
  Device fw2(test::load_example("seed-lab/fw2-carrier.cfg"));
  Device fw3(test::load_example("fw3.cfg"));
  Device* devices[] = {&fw1, &fw2, &fw3};
  // Frames wait in one queue and are delivered in order, as a switch would.
  struct InFlight {
    int device;
    uint16_t interface;
    std::vector<uint8_t> frame;
  };
  std::deque<InFlight> queue;
  std::vector<std::vector<uint8_t>> to_pc2;
  auto index = [&](int d, const char* name) {
    return devices[d]->snapshot().interface_index(name);
  };
  // Links: FW1 GE0/0/2 - FW2 GE0/0/1, FW2 GE0/0/2 - FW3 GE0/0/2; PC2 on FW3 GE0/0/1.
  std::map<std::pair<int, uint16_t>, std::pair<int, uint16_t>> links = {
      {{0, index(0, "GigabitEthernet0/0/2")}, {1, index(1, "GigabitEthernet0/0/1")}},
      {{1, index(1, "GigabitEthernet0/0/1")}, {0, index(0, "GigabitEthernet0/0/2")}},
      {{1, index(1, "GigabitEthernet0/0/2")}, {2, index(2, "GigabitEthernet0/0/2")}},
      {{2, index(2, "GigabitEthernet0/0/2")}, {1, index(1, "GigabitEthernet0/0/2")}},
  };
  const MacAddress pc2 = mac(9, 2);
  const uint16_t fw3_lan = index(2, "GigabitEthernet0/0/1");
  std::vector<std::unique_ptr<EthernetFrontEnd>> frames;
  for (int d = 0; d < 3; ++d) {
    frames.push_back(std::make_unique<EthernetFrontEnd>(
        *devices[d],
        [&, d](uint16_t interface, std::span<const uint8_t> frame, EthernetFrontEnd::Tag) {
          std::vector<uint8_t> bytes(frame.begin(), frame.end());
          if (d == 2 && interface == fw3_lan) {
            // PC2 answers ARP for itself and keeps the rest.
            if (auto m = arp_of(bytes); m && m->target == ip("10.2.1.2")) {
              queue.push_back(
                  {2, fw3_lan,
                   arp_frame(pc2, ip("10.2.1.2"), m->sender, ArpMessage::kReply, m->sender_mac)});
            } else {
              to_pc2.push_back(bytes);
            }
            return;
          }
          const auto peer = links.find({d, interface});
          if (peer != links.end())
            queue.push_back({peer->second.first, peer->second.second, std::move(bytes)});
        }));
    for (uint16_t i = 0; i < devices[d]->snapshot().interfaces.size(); ++i)
      frames.back()->attach(i, mac(static_cast<uint8_t>(d + 1), static_cast<uint8_t>(i + 1)));
  }
  auto settle = [&] {
    while (!queue.empty()) {
      InFlight f = std::move(queue.front());
      queue.pop_front();
      deliver(*frames[f.device], f.interface, std::move(f.frame));
    }
  };
  const uint16_t fw1_lan = index(0, "GigabitEthernet0/0/1");
  auto ping = [&](uint16_t id) {
    deliver(*frames[0], fw1_lan,
            ethernet_frame(mac(1, static_cast<uint8_t>(fw1_lan + 1)), mac(9, 1), kEtherTypeIpv4,
                           build_packet(test::icmp("10.1.1.2", "10.2.1.2", id))));
    settle();
  };
  ping(1);  // held while IKE negotiates, then released through the new SA
  const std::string sa = typed(fw1, "display ike sa");
  INFO(sa);
  CHECK(sa.find("RD|ST") != std::string::npos);
  ping(2);
  REQUIRE(to_pc2.size() == 2);
  for (const auto& f : to_pc2) {
    const PacketInfo at_pc2 = ip_of(f);
    CHECK(at_pc2.src == ip("10.1.1.2"));
    CHECK(at_pc2.dst == ip("10.2.1.2"));
    CHECK(std::equal(pc2.begin(), pc2.end(), f.begin()));
  }
  // The carrier's ARP cache holds both firewalls, learnt from the frames.
  const std::string arp = typed(fw2, "display arp");
  CHECK(arp.find("1.1.1.1 ") != std::string::npos);
  CHECK(arp.find("2.1.1.1 ") != std::string::npos);
}

TEST_CASE("a TCP super-frame is cut into the segments the wire would carry", "[netio]") {
  PacketSpec spec = test::tcp("10.1.1.2", 40000, "10.2.1.2", 5001,
                              tcpflag::kAck | tcpflag::kPsh | tcpflag::kFin | 0x80 /* CWR */);
  spec.total_length = 20 + 20 + 2500;
  std::vector<uint8_t> packet = build_packet(spec);
  store32(&packet[20 + 4], 1000);  // the first byte's sequence number
  const std::vector<uint8_t> frame = ethernet_frame(mac(1, 1), mac(9, 1), kEtherTypeIpv4, packet);
  std::vector<std::vector<uint8_t>> segments;
  REQUIRE(segment_tcp_frame(
      frame, 1000, [&](std::span<const uint8_t> s) { segments.emplace_back(s.begin(), s.end()); }));
  REQUIRE(segments.size() == 3);
  std::vector<uint8_t> payload;
  for (size_t i = 0; i < segments.size(); ++i) {
    INFO(i);
    const std::vector<uint8_t>& s = segments[i];
    std::span<const uint8_t> ip_part = std::span<const uint8_t>(s).subspan(14);
    PacketInfo info;
    REQUIRE(parse_ipv4(ip_part, info) == DropReason::None);
    CHECK(info.total_length == 40 + (i < 2 ? 1000 : 500));
    CHECK(internet_checksum(ip_part.first(20)) == 0);  // the IP header's checksum holds
    CHECK(load16(&ip_part[4]) == static_cast<uint16_t>(load16(&packet[4]) + i));
    CHECK(load32(&ip_part[20 + 4]) == 1000 + 1000 * i);
    const uint8_t flags = ip_part[20 + 13];
    CHECK(((flags & tcpflag::kPsh) != 0) == (i == 2));  // PSH and FIN on the last only
    CHECK(((flags & tcpflag::kFin) != 0) == (i == 2));
    CHECK(((flags & 0x80) != 0) == (i == 0));  // CWR on the first only
    // The TCP checksum holds: computing it again over the segment changes nothing.
    std::vector<uint8_t> again(ip_part.begin(), ip_part.end());
    REQUIRE(complete_transport_checksum(again));
    CHECK(std::equal(again.begin(), again.end(), ip_part.begin()));
    payload.insert(payload.end(), ip_part.begin() + 40, ip_part.end());
  }
  CHECK(std::equal(payload.begin(), payload.end(), packet.begin() + 40));
  // Not TCP: nothing to cut.
  const std::vector<uint8_t> udp = ethernet_frame(mac(1, 1), mac(9, 1), kEtherTypeIpv4,
                                                  build_packet(test::icmp("10.1.1.2", "10.2.1.2")));
  CHECK_FALSE(segment_tcp_frame(udp, 1000, [](std::span<const uint8_t>) {}));
}

TEST_CASE("the ARP cache and its waiting packets are bounded: a flood learns and queues no more",
          "[netio][limits]") {
  ArpTable arp;
  const MacAddress m = mac(9, 9);
  // A flood of gratuitous replies from every address of a /16: the cache stops at its bound.
  size_t learnt = 0;
  for (uint32_t i = 0; i < ArpTable::kMaxEntries + 100; ++i)
    learnt += arp.learn(1, Ipv4{0x0a000000U + i}, m, 0) ? 1 : 0;
  CHECK(learnt == ArpTable::kMaxEntries);
  CHECK(arp.entries().size() == ArpTable::kMaxEntries);
  // A known neighbour is still refreshed; a new one waits for the old entries to age.
  CHECK(arp.learn(1, Ipv4{0x0a000001U}, mac(9, 8), 10));
  CHECK_FALSE(arp.learn(2, Ipv4{0x0b000001U}, m, 10));
  CHECK(arp.learn(2, Ipv4{0x0b000001U}, m, ArpTable::kAgeSeconds));
  CHECK(arp.entries().size() == 2);  // the one refreshed at 10 and the newcomer
  // Packets to every address of a connected network: each address queues until the bound.
  size_t refused = 0;
  for (uint32_t i = 0; i < ArpTable::kMaxWaitingAddresses + 10; ++i) {
    if (arp.wait(1, Ipv4{0x0c000000U + i}, {1, 2, 3}) == ArpTable::Wait::Full) ++refused;
  }
  CHECK(refused == 10);
  CHECK(arp.unresolved().size() == ArpTable::kMaxWaitingAddresses);
  // An address already waiting still queues.
  CHECK(arp.wait(1, Ipv4{0x0c000000U}, {4}) == ArpTable::Wait::Queued);
}
