#include "netio/packet_socket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "netio/segmentation.hpp"
#include "packet/packet.hpp"

namespace vfw {
namespace {

#ifndef PACKET_IGNORE_OUTGOING
constexpr int PACKET_IGNORE_OUTGOING = 23;  // Linux 4.20's, for older headers
#endif

// The offload header PACKET_VNET_HDR puts before each frame: the virtio specification's
// struct virtio_net_hdr (legacy layout, host byte order). <linux/virtio_net.h> has a field named
// `class` that C++ cannot read, hence this copy of the layout and its constants.
struct OffloadHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(OffloadHeader) == 10);
constexpr uint8_t kNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kGsoNone = 0;
constexpr uint8_t kGsoTcpv4 = 1;
constexpr uint8_t kGsoEcn = 0x80;

constexpr size_t kHeader = sizeof(OffloadHeader);
constexpr size_t kReadBytes = kHeader + PacketSocket::kMaxFrame + PacketSocket::kGrowth;
// A segment is at most an MTU's frame (jumbo included) with its room to grow.
constexpr size_t kSegmentBytes = 9216 + kEthernetHeaderBytes + PacketSocket::kGrowth;

}  // namespace

Expected<std::unique_ptr<PacketSocket>> PacketSocket::open(const std::string& interface) {
  std::unique_ptr<PacketSocket> s(new PacketSocket());
  s->name_ = interface;
  if (interface.empty() || interface.size() >= IFNAMSIZ) {
    return fail("\"" + interface + "\" is not an interface name");
  }
  s->ifindex_ = static_cast<int>(if_nametoindex(interface.c_str()));
  if (s->ifindex_ == 0) {
    return fail("no interface " + interface + " on this host");
  }
  s->fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (s->fd_ < 0) {
    return fail("cannot open a packet socket on " + interface + ": " + std::strerror(errno) +
                (errno == EPERM ? " (vfw run --bind needs root or CAP_NET_RAW)" : ""));
  }
  ifreq req{};
  std::strncpy(req.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  if (ioctl(s->fd_, SIOCGIFHWADDR, &req) == 0)
    std::memcpy(s->mac_.data(), req.ifr_hwaddr.sa_data, 6);
  if (ioctl(s->fd_, SIOCGIFMTU, &req) == 0) s->mtu_ = static_cast<uint32_t>(req.ifr_mtu);
  const int one = 1;
  if (setsockopt(s->fd_, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) {
    return fail("cannot read offload headers on " + interface + ": " + std::strerror(errno));
  }
  // What this socket sends is not read back.
  setsockopt(s->fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  // Room for bursts: beyond rmem_max with CAP_NET_ADMIN (FORCE), else as much as the host allows.
  if (setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0)
    setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
  sockaddr_ll at{};
  at.sll_family = AF_PACKET;
  at.sll_protocol = htons(ETH_P_ALL);
  at.sll_ifindex = s->ifindex_;
  if (bind(s->fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
    return fail("cannot bind a packet socket to " + interface + ": " + std::strerror(errno));
  }
  s->reads_.resize(kBatch * kReadBytes);
  return s;
}

uint64_t PacketSocket::take_host_drops() {
  tpacket_stats stats{};
  socklen_t length = sizeof stats;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) != 0) return 0;
  return stats.tp_drops;
}

PacketSocket::~PacketSocket() {
  if (fd_ >= 0) close(fd_);
}

size_t PacketSocket::receive() {
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> vectors{};
  std::array<sockaddr_ll, kBatch> from{};
  for (size_t i = 0; i < kBatch; ++i) {
    vectors[i] = {reads_.data() + i * kReadBytes, kHeader + kMaxFrame};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &from[i];
    messages[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  frames_.clear();
  lengths_.clear();
  capacities_.clear();
  const int n = recvmmsg(fd_, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  // Segments are written first and pointed at last: the arena may move while it grows.
  std::vector<std::pair<size_t, uint32_t>> cut;  // (offset into segments_, length)
  size_t used = 0;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    if (from[i].sll_pkttype == PACKET_OUTGOING) continue;  // older kernels echo what was sent
    uint8_t* read = reads_.data() + i * kReadBytes;
    const uint32_t total = messages[i].msg_len;
    if (total < kHeader + kEthernetHeaderBytes || (messages[i].msg_hdr.msg_flags & MSG_TRUNC))
      continue;
    OffloadHeader h{};
    std::memcpy(&h, read, kHeader);
    uint8_t* f = read + kHeader;
    const uint32_t length = total - static_cast<uint32_t>(kHeader);
    const uint8_t gso = h.gso_type & static_cast<uint8_t>(~kGsoEcn);
    if (gso == kGsoNone) {
      if ((h.flags & kNeedsChecksum) != 0 && load16(f + 12) == kEtherTypeIpv4)
        complete_transport_checksum({f + kEthernetHeaderBytes, length - kEthernetHeaderBytes});
      frames_.push_back(f);
      lengths_.push_back(length);
      capacities_.push_back(length + static_cast<uint32_t>(kGrowth));
      continue;
    }
    const bool ok =
        gso == kGsoTcpv4 &&
        segment_tcp_frame({f, length}, h.gso_size, [&](std::span<const uint8_t> segment) {
          if (segment.size() + kGrowth > kSegmentBytes) return;
          if (segments_.size() < used + kSegmentBytes) segments_.resize(used + kSegmentBytes);
          std::memcpy(segments_.data() + used, segment.data(), segment.size());
          cut.emplace_back(used, static_cast<uint32_t>(segment.size()));
          used += kSegmentBytes;
        });
    if (ok) {
      ++cut_;
    } else {
      ++unsupported_;
    }
  }
  for (const auto& [offset, length] : cut) {
    frames_.push_back(segments_.data() + offset);
    lengths_.push_back(length);
    capacities_.push_back(static_cast<uint32_t>(kSegmentBytes));
  }
  return frames_.size();
}

void PacketSocket::queue(std::span<const uint8_t> f) {
  if (out_lengths_.size() == kBatch) flush();
  out_.insert(out_.end(), f.begin(), f.end());
  out_lengths_.push_back(static_cast<uint32_t>(f.size()));
}

void PacketSocket::flush() {
  if (out_lengths_.empty()) return;
  // Every frame sent is whole and checksummed: an offload header that asks nothing.
  static const OffloadHeader none{};
  std::array<mmsghdr, kBatch> messages{};
  std::array<std::array<iovec, 2>, kBatch> parts{};
  size_t offset = 0;
  const size_t n = out_lengths_.size();
  for (size_t i = 0; i < n; ++i) {
    parts[i] = {
        {{const_cast<OffloadHeader*>(&none), kHeader}, {out_.data() + offset, out_lengths_[i]}}};
    offset += out_lengths_[i];
    messages[i].msg_hdr.msg_iov = parts[i].data();
    messages[i].msg_hdr.msg_iovlen = 2;
  }
  size_t sent = 0;
  while (sent < n) {
    const int r =
        sendmmsg(fd_, messages.data() + sent, static_cast<unsigned>(n - sent), MSG_DONTWAIT);
    if (r <= 0) break;
    sent += static_cast<size_t>(r);
  }
  send_errors_ += n - sent;
  out_.clear();
  out_lengths_.clear();
}

}  // namespace vfw
