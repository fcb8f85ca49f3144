// IKE in the device: the seed's FW1 and FW3 (examples/fw1.cfg, examples/fw3.cfg) carrying each
// other's IKE datagrams in memory. PC1's first packet to PC2 starts the negotiation, the SAs land
// in the SAD, and the next packet crosses the tunnel and comes out at FW3 decrypted.
#include <catch2/catch.hpp>

#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";
constexpr const char* kWan = "GigabitEthernet0/0/2";

// Hands every datagram to the device its destination address belongs to, until both are quiet.
void exchange(Device& fw1, Device& fw3) {
  for (int round = 0; round < 20; ++round) {
    auto a = fw1.ike_take_datagrams();
    auto b = fw3.ike_take_datagrams();
    if (a.empty() && b.empty()) return;
    for (const auto& d : a) fw3.ike_receive(d.remote, d.local, d.bytes);
    for (const auto& d : b) fw1.ike_receive(d.remote, d.local, d.bytes);
  }
}

}  // namespace

TEST_CASE("a packet without an SA starts IKE; the tunnel it builds carries the next one",
          "[ike][device]") {
  Device fw1(load_example("fw1.cfg"));
  Device fw3(load_example("fw3.cfg"));
  REQUIRE(fw1.ike().problems().empty());
  REQUIRE(fw3.ike().problems().empty());

  Sent first = send(fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  CHECK(first.drop() == DropReason::IpsecNoSa);
  const TraceStep* ipsec = first.step("ipsec");
  REQUIRE(ipsec != nullptr);
  CHECK(ipsec->info.back().find("negotiation with ike-peer fw3 starts") != std::string::npos);
  REQUIRE(fw1.ike().engine().sas().size() == 1);

  exchange(fw1, fw3);
  CHECK(fw1.ike().engine().sas().at(0)->state == ike::IkeSaState::Established);
  CHECK(fw1.runtime().sad.all().size() == 2);
  CHECK(fw3.runtime().sad.all().size() == 2);

  Sent second = send(fw1, icmp("10.1.1.2", "10.2.1.2", 2), kLan);
  REQUIRE(second.action == Action::Forward);
  CHECK(second.after.protocol == ipproto::kEsp);
  CHECK(to_string(second.after.src) == "1.1.1.1");
  CHECK(to_string(second.after.dst) == "2.1.1.1");

  Sent arrived = send_bytes(fw3, second.bytes, kWan);
  CHECK(arrived.action == Action::Forward);
  const TraceStep* in = arrived.step("ipsec-inbound");
  REQUIRE(in != nullptr);
  CHECK(in->result == "decapsulated");
  // And the reply goes back through FW3's outbound SA to FW1.
  Sent reply = send(fw3, icmp("10.2.1.2", "10.1.1.2", 2), kLan);
  REQUIRE(reply.action == Action::Forward);
  CHECK(reply.after.protocol == ipproto::kEsp);
  CHECK(send_bytes(fw1, reply.bytes, kWan).action == Action::Forward);
}

TEST_CASE("a failed negotiation is kept as the device's error-info record", "[ike][device]") {
  config::Config other = load_example("fw3.cfg");
  other.ike_peers.at(0).pre_shared_key = "not-the-key";
  Device fw1(load_example("fw1.cfg"));
  Device fw3(std::move(other));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  REQUIRE(fw3.ike().error_info().size() == 1);
  CHECK(fw3.ike().error_info().back().record.reason == "authentication fail");
  REQUIRE(fw1.ike().error_info().size() == 1);
  CHECK(fw1.ike().error_info().back().record.reason == "authentication fail");
  CHECK(fw1.runtime().sad.all().empty());
}
