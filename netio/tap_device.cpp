#include "netio/tap_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vfw {

Expected<std::unique_ptr<TapDevice>> TapDevice::open(const std::string& name) {
  std::unique_ptr<TapDevice> t(new TapDevice());
  t->name_ = name;
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return fail("\"" + name + "\" is not an interface name");
  }
  t->fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (t->fd_ < 0) {
    return fail(std::string("cannot open /dev/net/tun: ") + std::strerror(errno));
  }
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  req.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(t->fd_, TUNSETIFF, &req) != 0) {
    return fail("cannot make the TAP device " + name + ": " + std::strerror(errno) +
                (errno == EPERM ? " (it needs root or CAP_NET_ADMIN)" : ""));
  }
  // Up, so that the host can use it; its MTU as the host has it.
  const int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (control >= 0) {
    ifreq flags{};
    std::strncpy(flags.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(control, SIOCGIFFLAGS, &flags) == 0) {
      flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP);
      ioctl(control, SIOCSIFFLAGS, &flags);
    }
    if (ioctl(control, SIOCGIFMTU, &flags) == 0) t->mtu_ = static_cast<uint32_t>(flags.ifr_mtu);
    close(control);
  }
  // The device's end of the wire: Huawei's OUI and three bytes of the name's FNV-1a hash.
  uint32_t hash = 2166136261U;
  for (const char c : name) hash = (hash ^ static_cast<uint8_t>(c)) * 16777619U;
  t->mac_ = {0x00,
             0xe0,
             0xfc,
             static_cast<uint8_t>(hash >> 16),
             static_cast<uint8_t>(hash >> 8),
             static_cast<uint8_t>(hash)};
  t->buffers_.resize(kBatch * kCapacity);
  t->lengths_.resize(kBatch);
  return t;
}

TapDevice::~TapDevice() {
  if (fd_ >= 0) close(fd_);
}

size_t TapDevice::receive() {
  size_t n = 0;
  while (n < kBatch) {
    const ssize_t r = read(fd_, frame(n), kCapacity - 256);
    if (r <= 0) break;
    lengths_[n++] = static_cast<uint32_t>(r);
  }
  return n;
}

void TapDevice::queue(std::span<const uint8_t> frame) {
  // One frame per write: a TAP device takes no batch. A full queue drops, as a wire would.
  (void)!write(fd_, frame.data(), frame.size());
}

}  // namespace vfw
