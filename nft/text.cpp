#include "nft/text.hpp"

#include <netdb.h>

#include <algorithm>

namespace vfw::nft {
namespace {

// nft continues a set's elements on a new line aligned under the first: one interface name per
// line, two addresses per line.
constexpr const char* kElementBreak = ",\n\t\t\t     ";

std::string quoted(const std::string& text) {
  return "\"" + text + "\"";
}

std::string priority_text(const Chain& c) {
  if (c.nat && c.priority == -100) return "dstnat";
  if (c.nat && c.priority == 100) return "srcnat";
  if (c.priority == 0) return "filter";
  return std::to_string(c.priority);
}

std::string port_range(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

std::string match_text(const Match& m) {
  using K = Match::Kind;
  switch (m.kind) {
    case K::Established:
      return "ct state established,related";
    case K::InInterface:
      return "iifname " + quoted(m.name);
    case K::OutInterface:
      return "oifname " + quoted(m.name);
    case K::InZone:
      return "iifname @" + m.name;
    case K::OutZone:
      return "oifname @" + m.name;
    case K::Source:
      return "ip saddr " + range_text(m.address);
    case K::Destination:
      return "ip daddr " + range_text(m.address);
    case K::SourceSet:
      return "ip saddr @" + m.name;
    case K::DestinationSet:
      return "ip daddr @" + m.name;
    case K::Protocol:
      return "ip protocol " + protocol_text(m.protocol);
    case K::SourcePort:
      return protocol_text(m.protocol) + " sport " + port_range(m.port_lo, m.port_hi);
    case K::DestinationPort:
      return protocol_text(m.protocol) + " dport " + port_range(m.port_lo, m.port_hi);
    case K::IcmpType:
      return m.port_lo == 8 ? "icmp type echo-request" : "icmp type " + std::to_string(m.port_lo);
    case K::ServiceSet:
      return "meta l4proto . th dport @" + m.name;
  }
  return "";
}

std::string statement_text(const Statement& s) {
  using K = Statement::Kind;
  auto to = [&] {
    std::string t = range_text(s.to);
    if (s.port) t += ":" + std::to_string(*s.port);
    return t;
  };
  switch (s.kind) {
    case K::Accept:
      return "accept";
    case K::Drop:
      return "drop";
    case K::Masquerade:
      return "masquerade";
    case K::Snat:
      return "snat to " + to();
    case K::Dnat:
      return "dnat to " + to();
  }
  return "";
}

std::string set_text(const Set& s) {
  std::string o = "\tset " + s.name + " {\n";
  std::vector<std::string> elements;
  switch (s.type) {
    case Set::Type::Interfaces:
      o += "\t\ttype ifname\n";
      for (const auto& m : s.members) elements.push_back(quoted(m));
      break;
    case Set::Type::Services:
      o += "\t\ttype inet_proto . inet_service\n\t\tflags interval\n";
      for (const auto& p : s.ports)
        elements.push_back(protocol_text(p.protocol) + " . " + port_range(p.lo, p.hi));
      break;
    case Set::Type::Addresses:
      o += "\t\ttype ipv4_addr\n\t\tflags interval\n";
      for (const auto& r : s.addresses) elements.push_back(range_text(r));
      break;
  }
  // Two addresses a line; interface names and concatenations one a line.
  const bool one_a_line = s.type != Set::Type::Addresses;
  if (!elements.empty()) {
    o += "\t\telements = { ";
    for (size_t i = 0; i < elements.size(); ++i) {
      if (i > 0) o += (one_a_line || i % 2 == 0) ? kElementBreak : ", ";
      o += elements[i];
    }
    o += " }\n";
  }
  return o + "\t}\n";
}

std::string chain_text(const Chain& c) {
  std::string o = "\tchain " + c.name + " {\n";
  o += "\t\ttype " + std::string(c.nat ? "nat" : "filter") + " hook " + c.hook + " priority " +
       priority_text(c) + "; policy " + (c.accept ? "accept" : "drop") + ";\n";
  for (const auto& r : c.rules) {
    o += "\t\t";
    for (const auto& m : r.matches) o += match_text(m) + " ";
    o += statement_text(r.statement);
    if (!r.comment.empty()) o += " comment " + quoted(r.comment);
    o += "\n";
  }
  return o + "\t}\n";
}

}  // namespace

std::string protocol_text(uint8_t protocol) {
  // As nft prints it: getprotobynumber's name, so both print the same on one machine.
  if (const protoent* p = getprotobynumber(protocol); p != nullptr && p->p_name != nullptr)
    return p->p_name;
  return std::to_string(protocol);
}

std::string range_text(const AddressRange& r) {
  if (r.lo == r.hi) return to_string(r.lo);
  const uint32_t span = r.hi.v - r.lo.v;
  // A prefix: the span is 2^n - 1 and lo is aligned on it.
  if ((span & (span + 1)) == 0 && (r.lo.v & span) == 0) {
    int bits = 0;
    for (uint32_t s = span; s != 0; s >>= 1) ++bits;
    return to_string(r.lo) + "/" + std::to_string(32 - bits);
  }
  return to_string(r.lo) + "-" + to_string(r.hi);
}

std::string table_text(const Ruleset& ruleset) {
  std::string o = "table ip " + ruleset.table + " {\n";
  bool first = true;
  for (const auto& s : ruleset.sets) {
    o += first ? "" : "\n";
    first = false;
    o += set_text(s);
  }
  for (const auto& c : ruleset.chains) {
    o += first ? "" : "\n";
    first = false;
    o += chain_text(c);
  }
  return o + "}\n";
}

std::vector<AddressRange> merged(std::vector<AddressRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.lo.v < b.lo.v; });
  std::vector<AddressRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && (out.back().hi.v == 0xffffffffu || r.lo.v <= out.back().hi.v + 1)) {
      out.back().hi.v = std::max(out.back().hi.v, r.hi.v);
      continue;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<ServiceRange> merged(std::vector<ServiceRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const ServiceRange& a, const ServiceRange& b) {
    return a.protocol != b.protocol ? a.protocol < b.protocol : a.lo < b.lo;
  });
  std::vector<ServiceRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && out.back().protocol == r.protocol &&
        (out.back().hi == 65535 || r.lo <= out.back().hi + 1)) {
      out.back().hi = std::max(out.back().hi, r.hi);
      continue;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace vfw::nft
