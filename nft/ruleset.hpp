// A USG configuration as the Linux kernel's firewall sees it: one nftables table, its sets and
// chains, each rule as the matches and the statement nft prints. Built by nft/export.hpp from the
// configuration model, printed by nft/text.hpp exactly as `nft list table` prints it back, and
// sent to the kernel by nft/netlink.hpp as libnftnl objects in one batch. What the kernel cannot
// express the device's way is in `not_expressed`, line by line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet/address.hpp"

namespace vfw::nft {

// An IPv4 interval [lo, hi]; a single address, a prefix or a range, printed as nft prints it.
struct AddressRange {
  Ipv4 lo, hi;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

// A protocol and a destination port interval of a service set: `tcp . 8000-8080`.
struct ServiceRange {
  uint8_t protocol = 0;
  uint16_t lo = 0, hi = 0;
  friend bool operator==(const ServiceRange&, const ServiceRange&) = default;
};

struct Match {
  enum class Kind : uint8_t {
    Established,  // ct state established,related
    InInterface,  // iifname "NAME"
    OutInterface,
    InZone,  // iifname @SET
    OutZone,
    Source,  // ip saddr RANGE
    Destination,
    SourceSet,  // ip saddr @SET
    DestinationSet,
    Protocol,         // ip protocol P (no ports follow)
    SourcePort,       // tcp|udp sport LO[-HI] (after its protocol)
    DestinationPort,  // tcp|udp dport LO[-HI]
    IcmpType,         // icmp type T (port_lo)
    ServiceSet,       // meta l4proto . th dport @SET
  };
  Kind kind = Kind::Established;
  std::string name;  // interface or set
  AddressRange address;
  uint8_t protocol = 0;
  uint16_t port_lo = 0, port_hi = 0;
};

struct Statement {
  enum class Kind : uint8_t { Accept, Drop, Masquerade, Snat, Dnat };
  Kind kind = Kind::Accept;
  AddressRange to;               // Snat, Dnat
  std::optional<uint16_t> port;  // Dnat, Snat: a port too
};

struct Rule {
  std::vector<Match> matches;
  Statement statement;
  std::string comment;  // the USG rule it comes from
};

struct Chain {
  std::string name;
  bool nat = false;    // type nat, else filter
  std::string hook;    // prerouting, input, forward, output, postrouting
  int priority = 0;    // nft's named priorities: filter 0, dstnat -100, srcnat 100
  bool accept = true;  // the chain's policy
  std::vector<Rule> rules;
};

struct Set {
  enum class Type : uint8_t {
    Addresses,   // type ipv4_addr with intervals: `addresses`
    Interfaces,  // type ifname: `members`
    Services,    // type inet_proto . inet_service with intervals: `ports`
  };
  std::string name;
  Type type = Type::Addresses;
  std::vector<std::string> members;     // interface names
  std::vector<AddressRange> addresses;  // merged, ascending
  std::vector<ServiceRange> ports;      // merged, by protocol then port
};

struct Ruleset {
  std::string table = "vfw";
  std::vector<Set> sets;
  std::vector<Chain> chains;
  std::vector<std::string> not_expressed;  // "line: why", what the kernel cannot do the same way
  std::vector<std::string> routes;         // `ip route` commands beside the table
};

// Sorts and merges address intervals (overlapping or adjacent), as the kernel keeps them.
std::vector<AddressRange> merged(std::vector<AddressRange> ranges);
// The same for a service set's port intervals, per protocol: the kernel refuses overlapping
// intervals in a set of concatenations.
std::vector<ServiceRange> merged(std::vector<ServiceRange> ranges);

}  // namespace vfw::nft
