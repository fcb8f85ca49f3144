// The device's ARP cache (RFC 826): for each interface, the MAC address of a neighbour learnt from
// its reply or from its request for one of the device's addresses, with the time it was learnt;
// and the packets that wait for an address not yet resolved. Whoever carries the device's frames
// (the lab's links, `vfw run` on AF_PACKET) fills it and sends what it releases; `display arp`
// shows it beside the interfaces' own entries.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "packet/ethernet.hpp"

namespace vfw {

class ArpTable {
 public:
  // The device's default aging time (arp expire-time 1200 seconds), and how many packets may
  // wait for one address while its request is out.
  static constexpr uint32_t kAgeSeconds = 1200;
  static constexpr size_t kMaxWaiting = 16;
  // Anyone on a link can make the device learn (a reply, a request for its address) or resolve
  // (a packet to each address of a connected network): both tables are bounded. A full cache
  // learns no new neighbour until its aged entries go (the known ones are still refreshed);
  // packets for one address more than kMaxWaitingAddresses are dropped while the others resolve.
  static constexpr size_t kMaxEntries = 16384;
  static constexpr size_t kMaxWaitingAddresses = 1024;

  struct Entry {
    MacAddress mac{};
    uint32_t learned = 0;  // seconds of the device clock
  };
  struct Key {
    uint16_t interface;
    uint32_t address;
    auto operator<=>(const Key&) const = default;
  };

  // The interface's own MAC address (its "I" entry in display arp).
  void set_interface_mac(uint16_t interface, const MacAddress& mac) { own_[interface] = mac; }
  const MacAddress* interface_mac(uint16_t interface) const;

  // False when the cache is full of live entries and the neighbour is new (not learnt).
  bool learn(uint16_t interface, Ipv4 address, const MacAddress& mac, uint32_t now);
  // The neighbour's MAC address, or nullptr when unknown or aged out.
  const MacAddress* find(uint16_t interface, Ipv4 address, uint32_t now) const;
  // A packet for a neighbour whose address is unknown: it waits. Request when it is the first
  // (a request should go out), Queued when one is out already, Full when it was dropped.
  // tag: whatever the carrier follows the packet by (EthernetFrontEnd::Tag), handed back.
  enum class Wait : uint8_t { Request, Queued, Full };
  struct Waiting {
    std::vector<uint8_t> packet;
    uint64_t tag = 0;
  };
  Wait wait(uint16_t interface, Ipv4 address, std::vector<uint8_t> packet, uint64_t tag = 0);
  // What waited for that neighbour, now that it is known.
  std::vector<Waiting> release(uint16_t interface, Ipv4 address);
  // The addresses whose request is out, for a retry.
  std::vector<Key> unresolved() const;
  // Entries older than the aging time go, at most once a second whatever the calls (the front
  // end calls it after every batch).
  void expire(uint32_t now);
  void forget_waiting(uint16_t interface, Ipv4 address) { waiting_.erase({interface, address.v}); }
  void clear() {
    entries_.clear();
    waiting_.clear();
  }

  const std::map<Key, Entry>& entries() const { return entries_; }
  const std::map<uint16_t, MacAddress>& interface_macs() const { return own_; }

 private:
  std::map<Key, Entry> entries_;
  std::map<Key, std::vector<Waiting>> waiting_;
  std::map<uint16_t, MacAddress> own_;
  uint32_t last_expire_ = ~0U;
};

// "00e0-fc12-3456", as the device prints a MAC address.
std::string mac_text(const MacAddress& mac);

}  // namespace vfw
