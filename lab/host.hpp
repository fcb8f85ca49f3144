// An end system of the lab (PC1, PC2): one interface with an address, a default gateway and an
// MTU. It answers ICMP echo requests to its address, as a Linux host does, and keeps the echo
// replies it receives for `lab ping`. As a Linux host, it cuts what it sends into fragments of
// its MTU (unless DF is set) and reassembles the fragments it receives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "packet/address.hpp"
#include "packet/drop_reason.hpp"
#include "packet/packet.hpp"
#include "packet/reassembly.hpp"

namespace vfw::lab {

struct EchoReply {
  Ipv4 from;
  uint16_t id = 0;
  uint16_t sequence = 0;
  uint8_t ttl = 0;
  uint32_t bytes = 0;  // ICMP bytes (header and data), as ping prints them
  uint64_t at_ms = 0;
};

class Host {
 public:
  Host(std::string name, Ipv4 address, uint8_t prefix_length, std::optional<Ipv4> gateway,
       uint32_t mtu);

  const std::string& name() const { return name_; }
  Ipv4 address() const { return address_; }
  uint8_t prefix_length() const { return prefix_length_; }
  std::optional<Ipv4> gateway() const { return gateway_; }
  uint32_t mtu() const { return mtu_; }

  // A packet that arrived on the host's interface at now_ms; returns what the host sends back.
  std::vector<std::vector<uint8_t>> receive(const std::vector<uint8_t>& packet, uint64_t now_ms);
  // What leaves the host's interface for a packet it sends: the packet, or its fragments when it
  // is longer than the MTU and DF is not set.
  std::vector<std::vector<uint8_t>> outgoing(std::vector<uint8_t> packet) const;
  // The fragments the host refused (overlaps, timeouts, its reassembly table full).
  const DropCounters& drops() const { return drops_; }

  // An echo request from this host: ICMP identifier id, sequence seq, IP total length size.
  std::vector<uint8_t> echo_request(Ipv4 destination, uint16_t id, uint16_t seq, uint32_t size,
                                    bool dont_fragment) const;
  std::vector<EchoReply> take_replies() { return std::exchange(replies_, {}); }
  // ICMP errors that came back (destination unreachable, fragmentation needed), as text.
  std::vector<std::string> take_errors() { return std::exchange(errors_, {}); }

 private:
  std::string name_;
  Ipv4 address_;
  uint8_t prefix_length_;
  std::optional<Ipv4> gateway_;
  uint32_t mtu_;
  std::vector<EchoReply> replies_;
  std::vector<std::string> errors_;
  Reassembler reassembly_{ReassemblyLimits{64, size_t{1} << 20, 30}};
  DropCounters drops_;
};

}  // namespace vfw::lab
