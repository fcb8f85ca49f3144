// `tcp adjust-mss N` under an interface: a TCP SYN crossing it has its MSS option lowered to N,
// so that the segments of the connection fit the path once IPSec adds its overhead (seed: "By TCP
// MSS"). The TCP checksum is updated incrementally (RFC 1624).
#pragma once

#include <cstdint>
#include <optional>

#include "packet/packet.hpp"

namespace vfw {

// Returns the MSS before clamping when it was lowered, nullopt when the packet was left alone.
std::optional<uint16_t> clamp_tcp_mss(uint8_t* ip, const PacketInfo& info, uint16_t limit);

}  // namespace vfw
