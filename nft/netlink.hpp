// The ruleset sent to the kernel: libnftnl objects (table, sets and their elements, chains,
// rules and their expressions) in one netlink batch through libmnl, so the kernel applies it
// whole or not at all. The batch adds vfw's table, deletes it, and adds it again with its
// contents: the table is replaced in one transaction, nothing else is touched, and a failure
// leaves the previous table as it was.
#pragma once

#include <cstddef>
#include <string>

#include "nft/ruleset.hpp"

namespace vfw::nft {

struct ApplyResult {
  bool ok = false;
  std::string error;       // the kernel's refusal, or why the batch could not be sent
  size_t batch_bytes = 0;  // the netlink batch's size
  size_t messages = 0;     // netlink messages in it
};

// In the network namespace `netns` (a name under /var/run/netns, as ip netns makes them) when it
// is not empty, else in this process's own. Needs CAP_NET_ADMIN.
ApplyResult apply(const Ruleset& ruleset, const std::string& netns);

}  // namespace vfw::nft
