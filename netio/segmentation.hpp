// A TCP "super-frame" cut back into the segments it stands for. A Linux sender (TSO/GSO on a veth)
// or a receiving NIC (GRO) hands AF_PACKET one frame for many segments of a TCP flow, with the
// segment size beside it (virtio_net_hdr's gso_size); a firewall must see, and forward, each
// segment as the wire carries it. Each segment gets the headers again, its own IP length,
// identification and checksum, its sequence number, and its TCP checksum whole; PSH and FIN stay
// on the last segment only, CWR on the first only (as the kernel's own GSO does, RFC 3168).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

namespace vfw {

// frame: Ethernet, IPv4, TCP, payload. segment: called with each segment's frame in turn.
// false when the frame is not an IPv4 TCP frame that can be cut (nothing is emitted then).
bool segment_tcp_frame(std::span<const uint8_t> frame, uint16_t segment_size,
                       const std::function<void(std::span<const uint8_t>)>& segment);

}  // namespace vfw
