// RFC 791 fragmentation: a datagram cut into fragments that fit an MTU.
#pragma once

#include <cstdint>
#include <vector>

#include "packet/packet.hpp"

namespace vfw {

// The fragments of the packet at ip (parsed into info) for a link of the given MTU: payload in
// multiples of 8 bytes, the first fragment with the whole header, the later ones with only the
// options whose copied flag is set. A fragment of a fragment keeps its offset and MF (RFC 791).
std::vector<std::vector<uint8_t>> fragment_ipv4(const uint8_t* ip, const PacketInfo& info,
                                                uint32_t mtu);

}  // namespace vfw
