// A Linux interface read and written whole through an AF_PACKET socket (packet(7)): every
// Ethernet frame it receives, in batches (recvmmsg), and frames sent out of it as they are. The
// frames the socket itself sent are not read back (PACKET_IGNORE_OUTGOING). Each frame comes with
// its offload state (PACKET_VNET_HDR): a TCP super-frame that a segmentation offload (TSO, GSO,
// GRO) left whole is cut back into its segments (netio/segmentation.hpp), and a checksum left to
// an offload that never ran is completed, so that the device sees what the wire carries.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "netio/frame_port.hpp"
#include "packet/ethernet.hpp"

namespace vfw {

class PacketSocket final : public FramePort {
 public:
  // The largest frame read (a 64 KiB super-frame), and the room a frame or segment is given to
  // grow by (an ESP encapsulation) in place.
  static constexpr size_t kMaxFrame = 65536 + 64;
  static constexpr size_t kGrowth = 256;
  static constexpr size_t kBatch = 64;

  // nullptr with error when the interface cannot be opened (no such interface; AF_PACKET needs
  // CAP_NET_RAW).
  static Expected<std::unique_ptr<PacketSocket>> open(const std::string& interface);
  ~PacketSocket() override;
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  int fd() const override { return fd_; }
  const std::string& name() const override { return name_; }
  const MacAddress& mac() const override { return mac_; }
  uint32_t mtu() const override { return mtu_; }

  // The frames waiting now (kBatch reads at most, more frames when super-frames are cut), without
  // blocking: frame(i), length(i) and capacity(i) for i below the count returned. The buffers
  // stay valid until the next call.
  size_t receive() override;
  uint8_t* frame(size_t i) override { return frames_[i]; }
  uint32_t length(size_t i) const override { return lengths_[i]; }
  uint32_t capacity(size_t i) const override { return capacities_[i]; }

  // A frame to send: queued, then sent with the others in one call (sendmmsg) by flush(), which
  // the queue calls itself when it is full.
  void queue(std::span<const uint8_t> frame) override;
  void flush() override;

  // PACKET_STATISTICS: the kernel's count of frames it dropped for this socket (its receive
  // buffer full), which reading resets.
  uint64_t take_host_drops() override;
  int ifindex() const override { return ifindex_; }
  // The receive buffer asked for: bursts of a line-rate link for tens of milliseconds.
  static constexpr int kReceiveBuffer = 8 << 20;

  uint64_t cut() const { return cut_; }                  // super-frames cut into segments
  uint64_t unsupported() const { return unsupported_; }  // super-frames of a kind not cut
  uint64_t send_errors() const { return send_errors_; }

 private:
  PacketSocket() = default;
  int fd_ = -1;
  int ifindex_ = 0;
  std::string name_;
  MacAddress mac_{};
  uint32_t mtu_ = 1500;
  std::vector<uint8_t> reads_;     // kBatch buffers: the offload header, then the frame
  std::vector<uint8_t> segments_;  // the segments cut from super-frames, one after the other
  std::vector<uint8_t*> frames_;
  std::vector<uint32_t> lengths_;
  std::vector<uint32_t> capacities_;
  std::vector<uint8_t> out_;  // queued frames, one after the other
  std::vector<uint32_t> out_lengths_;
  uint64_t cut_ = 0;
  uint64_t unsupported_ = 0;
  uint64_t send_errors_ = 0;
};

}  // namespace vfw
