// A TAP device that vfw makes (`--bind GigabitEthernet0/0/1=tap:NAME`): the host sees an Ethernet
// interface NAME whose other end is the device's interface, as a VM's NIC is to its hypervisor.
// Give NAME an address on the host (or put it in a bridge) and the host is the device's
// neighbour. The device's side takes a MAC address of Huawei's OUI made from the name; the
// interface is brought up; frames are read and written one per call, whole.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "netio/frame_port.hpp"

namespace vfw {

class TapDevice final : public FramePort {
 public:
  static constexpr size_t kBatch = 64;
  static constexpr size_t kCapacity = 9216 + 14 + 256;

  // nullptr with error when it cannot be made (/dev/net/tun missing, no CAP_NET_ADMIN).
  static Expected<std::unique_ptr<TapDevice>> open(const std::string& name);
  ~TapDevice() override;
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  int fd() const override { return fd_; }
  const std::string& name() const override { return name_; }
  const MacAddress& mac() const override { return mac_; }
  uint32_t mtu() const override { return mtu_; }
  size_t receive() override;
  uint8_t* frame(size_t i) override { return buffers_.data() + i * kCapacity; }
  uint32_t length(size_t i) const override { return lengths_[i]; }
  uint32_t capacity(size_t i) const override {
    (void)i;
    return kCapacity;
  }
  void queue(std::span<const uint8_t> frame) override;
  void flush() override {}

 private:
  TapDevice() = default;
  int fd_ = -1;
  std::string name_;
  MacAddress mac_{};
  uint32_t mtu_ = 1500;
  std::vector<uint8_t> buffers_;
  std::vector<uint32_t> lengths_;
};

}  // namespace vfw
