// What the IKE tests share: addresses, selectors and identities spelled as text, and carrying
// two devices' IKE datagrams to each other in memory.
#pragma once

#include <string>

#include "device/device.hpp"
#include "ike/engine_config.hpp"
#include "ike/message.hpp"
#include "packet/packet.hpp"

namespace vfw::test {

inline Ipv4 ip(const char* text) {
  return *parse_ipv4(text);
}

inline ike::TrafficSelector subnet(const char* base, const char* last) {
  ike::TrafficSelector t;
  t.start = ip(base);
  t.end = ip(last);
  return t;
}

inline ike::Identification ip_id(const char* address) {
  ike::Identification id;
  id.type = ike::id_type::kIpv4Address;
  id.data.resize(4);
  store32(id.data.data(), ip(address).v);
  return id;
}

// One side of the seed's tunnel as an engine's configuration: FW1 (1.1.1.1, branch 10.1.1.0/24)
// when fw1, FW3 (2.1.1.1, headquarters 10.2.1.0/24) otherwise, with one IKE proposal and the
// seed's key; ipsec policy map1 10 between the two networks.
inline ike::EngineConfig seed_side(bool fw1, const ike::IkeProposalConfig& proposal) {
  ike::EngineConfig c;
  ike::PeerConfig peer;
  peer.name = fw1 ? "fw3" : "fw1";
  peer.proposals = {proposal};
  peer.pre_shared_key = "Seed@2026";
  peer.remote_address = ip(fw1 ? "2.1.1.1" : "1.1.1.1");
  peer.local_id = ip_id(fw1 ? "1.1.1.1" : "2.1.1.1");
  c.peers.push_back(peer);
  ike::ChildConfig child;
  child.policy = "map1";
  child.seq = 10;
  child.peer = 0;
  child.local_address = ip(fw1 ? "1.1.1.1" : "2.1.1.1");
  const auto branch = subnet("10.1.1.0", "10.1.1.255");
  const auto hq = subnet("10.2.1.0", "10.2.1.255");
  child.local_ts = {fw1 ? branch : hq};
  child.remote_ts = {fw1 ? hq : branch};
  c.children.push_back(child);
  return c;
}

// Hands every datagram to the other device, until both are quiet.
inline void exchange(Device& fw1, Device& fw3) {
  for (int round = 0; round < 30; ++round) {
    auto a = fw1.ike_take_datagrams();
    auto b = fw3.ike_take_datagrams();
    if (a.empty() && b.empty()) return;
    for (const auto& d : a) fw3.ike_receive(d.remote, d.local, d.bytes);
    for (const auto& d : b) fw1.ike_receive(d.remote, d.local, d.bytes);
  }
}

}  // namespace vfw::test
