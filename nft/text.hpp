// The ruleset as nft's own text: what `nft -f` reads, and exactly what `nft list table ip vfw`
// prints back once the kernel holds it (tabs, blank lines between blocks, set elements wrapped as
// nft wraps them, protocol names as this machine's /etc/protocols gives them, as nft does).
#pragma once

#include <string>

#include "nft/ruleset.hpp"

namespace vfw::nft {

std::string table_text(const Ruleset& ruleset);
// An address interval as nft prints it: 10.1.1.1, 10.1.1.0/24 or 10.1.1.1-10.1.1.9.
std::string range_text(const AddressRange& range);
// A protocol as nft prints it: the name this machine knows it by, else the number.
std::string protocol_text(uint8_t protocol);

}  // namespace vfw::nft
