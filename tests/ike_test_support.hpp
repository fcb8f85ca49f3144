// What the IKE tests share: addresses, selectors and identities spelled as text, and carrying
// two devices' IKE datagrams to each other in memory.
#pragma once

#include <string>

#include "device/device.hpp"
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
