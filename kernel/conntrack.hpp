// The kernel's connection tracking table, read through ctnetlink (libmnl): with
// `vfw run --dataplane kernel` the kernel forwards, and these are the device's sessions.
//
// The parser takes one netlink message and knows nothing of sockets, so that the tests feed it
// messages they build; dump() is the socket around it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "pipeline/session_table.hpp"

namespace vfw::kernel {

struct ConntrackEntry {
  // In vfw's keys (pipeline/session_table.hpp): the first packet as it arrived, and the reply as
  // it arrives (after translation). ICMP: the identifier as the source port, type << 8 | code of
  // the request as the destination port, in both.
  FlowKey original;
  FlowKey reply;
  uint32_t timeout = 0;          // seconds left
  uint64_t packets[2] = {0, 0};  // [0] original direction, [1] reply; 0 without accounting
  uint64_t bytes[2] = {0, 0};
  uint8_t tcp_state = 0;  // the kernel's TCP_CONNTRACK_* (0: none or not TCP)
};

// One IPCTNL_MSG_CT_NEW message of a dump (the netlink header first). Nothing for another
// message, another family or a tuple without addresses; never reads past the message.
std::optional<ConntrackEntry> parse_conntrack_message(std::span<const uint8_t> message);

// Every IPv4 entry of the kernel's table in the current network namespace, or why it cannot be
// read (no CAP_NET_ADMIN, no conntrack module).
Expected<std::vector<ConntrackEntry>> dump_conntrack();

// Deletes the kernel's connection whose original direction is this key (vfw's form, as
// ConntrackEntry::original). A connection already gone is not an error.
Status delete_conntrack(const FlowKey& original);

// Makes the kernel count packets and bytes per connection (net.netfilter.nf_conntrack_acct), so
// that the session display has them.
Status enable_conntrack_accounting();

}  // namespace vfw::kernel
