// AH (RFC 4302) in tunnel and transport mode: integrity over the packet, with the IPv4 header's
// mutable fields (TOS, flags and fragment offset, TTL, checksum) counted as zero (section 3.3.3.1).
#pragma once

#include <cstdint>

#include "ipsec/sad.hpp"
#include "packet/drop_reason.hpp"

namespace vfw::ipsec {

uint32_t ah_overhead(const Sa& sa);
DropReason ah_encapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t capacity, uint16_t ip_id);
DropReason ah_decapsulate(Sa& sa, uint8_t* ip, uint32_t& length);

}  // namespace vfw::ipsec
