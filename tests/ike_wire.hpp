// Two IKE engines of the seed's tunnel, FW1 (1.1.1.1) and FW3 (2.1.1.1), joined by a wire in
// memory on a simulated clock: the harness the IKEv2 and IKEv1 tests share (any ike::Negotiator).
//
// A test either steps the exchange one message at a time, reading like the RFC's diagrams
// (`// HDR, SAi1, KEi, Ni -->` then `w.fw1_to_fw3()`), or pumps it to the end when the exchange
// itself is not what it is about. The carrier can lose datagrams (drop) or masquerade FW1 behind
// a NAT (500 -> 2048, 4500 -> 2049).
#pragma once

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <vector>

#include "ike/negotiator.hpp"
#include "ike_test_support.hpp"

namespace vfw::test {

template <typename Engine>
struct IkeWire {
  Engine fw1;
  Engine fw3;
  uint64_t now = 0;
  bool nat = false;
  std::function<bool(const ike::Datagram&)> drop;  // lose a datagram on the way
  std::vector<ike::Datagram> fw1_sent, fw3_sent;   // everything each side sent, in order

  IkeWire(ike::EngineConfig a, ike::EngineConfig b) : fw1(std::move(a)), fw3(std::move(b)) {}

  // The next message FW1 sent, delivered to FW3 (and the other way): it must be there.
  ike::Datagram fw1_to_fw3() {
    collect();
    REQUIRE_FALSE(to_fw3_.empty());
    ike::Datagram d = std::move(to_fw3_.front());
    to_fw3_.pop_front();
    deliver_to_fw3(d);
    return d;
  }
  ike::Datagram fw3_to_fw1() {
    collect();
    REQUIRE_FALSE(to_fw1_.empty());
    ike::Datagram d = std::move(to_fw1_.front());
    to_fw1_.pop_front();
    deliver_to_fw1(d);
    return d;
  }
  // The next message FW3 sent, taken off the wire before FW1 has it: a test may change it, then
  // hand it over (give_fw1).
  ike::Datagram hold_fw3_to_fw1() {
    collect();
    REQUIRE_FALSE(to_fw1_.empty());
    ike::Datagram d = std::move(to_fw1_.front());
    to_fw1_.pop_front();
    return d;
  }
  void give_fw1(const ike::Datagram& d) { deliver_to_fw1(d); }
  // Nothing more in flight either way.
  bool quiet() {
    collect();
    return to_fw1_.empty() && to_fw3_.empty();
  }

  // Every message both ways, until both sides are quiet.
  void pump() {
    for (int round = 0; round < 30; ++round) {
      collect();
      if (to_fw1_.empty() && to_fw3_.empty()) return;
      auto to3 = std::exchange(to_fw3_, {});
      auto to1 = std::exchange(to_fw1_, {});
      for (const auto& d : to3) deliver_to_fw3(d);
      for (const auto& d : to1) deliver_to_fw1(d);
    }
  }

  void advance(uint64_t ms) {
    now += ms;
    fw1.tick(now);
    fw3.tick(now);
    pump();
  }

 private:
  void collect() {
    for (auto& d : fw1.take_datagrams()) {
      fw1_sent.push_back(d);
      to_fw3_.push_back(std::move(d));
    }
    for (auto& d : fw3.take_datagrams()) {
      fw3_sent.push_back(d);
      to_fw1_.push_back(std::move(d));
    }
  }
  // NAT keepalives (a byte of 0xff) end at the NAT; a lost datagram ends on the wire.
  void deliver_to_fw3(const ike::Datagram& d) {
    if (d.keepalive || (drop && drop(d))) return;
    ike::Endpoint source = d.local;
    if (nat) source = {ip("2.1.1.2"), static_cast<uint16_t>(d.local.port == 500 ? 2048 : 2049)};
    fw3.receive(d.remote, source, d.bytes, now);
  }
  void deliver_to_fw1(const ike::Datagram& d) {
    if (d.keepalive || (drop && drop(d))) return;
    ike::Endpoint destination = d.remote;
    if (nat) {
      destination = {ip("1.1.1.1"), static_cast<uint16_t>(d.remote.port == 2048 ? 500 : 4500)};
    }
    fw1.receive(destination, d.local, d.bytes, now);
  }
  std::deque<ike::Datagram> to_fw3_, to_fw1_;
};

}  // namespace vfw::test
