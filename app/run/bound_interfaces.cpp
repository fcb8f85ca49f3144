#include "app/run/bound_interfaces.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "config/interface_name.hpp"
#include "netio/host_check.hpp"
#include "netio/packet_socket.hpp"
#include "netio/tap_device.hpp"

namespace vfw {

namespace asio = boost::asio;

BoundInterfaces::BoundInterfaces(asio::io_context& io, Device& device, DaemonLog& log)
    : io_(io),
      device_(device),
      log_(log),
      frames_(device,
              [this](uint16_t interface, std::span<const uint8_t> frame, EthernetFrontEnd::Tag) {
                const auto it = bound_.find(interface);
                // An interface whose Linux interface is gone sends nothing until it returns.
                if (it != bound_.end() && it->second.socket) it->second.socket->queue(frame);
              }) {}

BoundInterfaces::~BoundInterfaces() = default;

Status BoundInterfaces::bind(const std::vector<std::pair<std::string, std::string>>& binds) {
  for (const auto& [name, linux_name] : binds) {
    const auto normal = config::normalize_interface(name);
    const uint16_t index =
        normal ? device_.snapshot().interface_index(*normal) : uint16_t{kNoInterface};
    if (index == kNoInterface) return fail("the configuration has no interface " + name);
    if (bound_.count(index) != 0) return fail(*normal + " is bound twice");
    for (const auto& [other, b] : bound_) {
      if (b.linux_name == linux_name) return fail(linux_name + " is bound twice");
    }
    // tap:NAME makes a TAP device; anything else is an existing interface, on AF_PACKET.
    const bool tap = linux_name.rfind("tap:", 0) == 0;
    std::unique_ptr<FramePort> socket;
    if (tap) {
      auto opened = TapDevice::open(linux_name.substr(4));
      if (!opened) return Unexpected(opened.error());
      socket = std::move(*opened);
    } else {
      auto opened = PacketSocket::open(linux_name);
      if (!opened) return Unexpected(opened.error());
      socket = std::move(*opened);
      for (const auto& warning : host_stack_warnings(linux_name))
        log_.line("VFW/4/BIND: " + warning);
    }
    frames_.attach(index, socket->mac());
    log_.line("VFW/6/BIND: " + *normal + " on " + linux_name + " (" + mac_text(socket->mac()) +
              ", MTU " + std::to_string(socket->mtu()) + ")");
    Bound& b = bound_[index];
    b.index = index;
    b.name = *normal;
    b.linux_name = linux_name;
    b.tap = tap;
    b.socket = std::move(socket);
    b.descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, ::dup(b.socket->fd()));
  }
  // Following first, then looking: a change in between is not lost.
  follow_links();
  for (auto& [index, b] : bound_) {
    wait_frames(b);
    if (!b.tap && !LinkMonitor::current(b.linux_name).up) link_changed(b, false, "no carrier");
  }
  return {};
}

void BoundInterfaces::follow_links() {
  auto opened = LinkMonitor::open();
  if (!opened) {
    log_.line("VFW/4/LINK: " + opened.error().message +
              "; an interface that goes away is not followed");
    return;
  }
  links_ = std::move(*opened);
  const int fd = ::fcntl(links_->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    log_.line(std::string("VFW/4/LINK: ") + std::strerror(errno) +
              "; an interface that goes away is not followed");
    links_.reset();
    return;
  }
  links_descriptor_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  wait_links();
}

void BoundInterfaces::wait_links() {
  links_descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                                [this](const boost::system::error_code& ec) {
                                  if (ec) return;
                                  bool overflowed = false;
                                  auto events = links_->receive(overflowed);
                                  if (overflowed) {
                                    // Some were lost: look at each bound interface afresh.
                                    events.clear();
                                    for (const auto& [index, b] : bound_)
                                      if (!b.tap)
                                        events.push_back(LinkMonitor::current(b.linux_name));
                                  }
                                  for (const auto& e : events) on_link(e);
                                  log_.flush();
                                  wait_links();
                                });
}

void BoundInterfaces::on_link(const LinkEvent& e) {
  for (auto& [index, b] : bound_) {
    if (b.tap || b.linux_name != e.name) continue;
    const bool same = b.socket && b.socket->ifindex() == e.index;
    // A late deletion of an interface already replaced (another index) is not this one's.
    if (b.socket && ((e.deleted && same) || (!e.deleted && (e.index == 0 || !same)))) {
      // Gone (or replaced by a new interface of the same name): the old socket reads nothing.
      b.descriptor.reset();
      b.socket.reset();
      log_.line("VFW/4/LINK: " + b.name + " lost " + b.linux_name +
                " (deleted); down until an interface of that name returns");
      link_changed(b, false, "");
    }
    if (!b.socket && !e.deleted && e.index != 0) {
      auto opened = PacketSocket::open(b.linux_name);
      if (!opened) {
        log_.line("VFW/3/LINK: " + b.name + ": " + b.linux_name +
                  " is back but cannot be bound: " + opened.error().message);
        continue;
      }
      std::unique_ptr<PacketSocket> socket = std::move(*opened);
      const int fd = ::fcntl(socket->fd(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {  // out of descriptors: tried again at the interface's next event
        log_.line("VFW/3/LINK: " + b.name + ": " + b.linux_name +
                  " is back but cannot be bound: " + std::strerror(errno));
        continue;
      }
      frames_.attach(index, socket->mac());
      b.socket = std::move(socket);
      b.descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
      wait_frames(b);
      log_.line("VFW/6/LINK: " + b.name + " bound again on " + b.linux_name + " (" +
                mac_text(b.socket->mac()) + ", MTU " + std::to_string(b.socket->mtu()) + ")");
    }
    if (b.socket) link_changed(b, e.up, e.up ? "" : "no carrier");
  }
}

// The device's view of the link, logged when it changes.
void BoundInterfaces::link_changed(Bound& b, bool up, const std::string& why) {
  if (!device_.set_link(b.name, up)) return;
  log_.line("VFW/4/LINK: " + b.name + " (" + b.linux_name + ") is " + (up ? "up" : "down") +
            (why.empty() ? "" : " (" + why + ")"));
}

void BoundInterfaces::wait_frames(Bound& b) {
  b.descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                           [this, &b](const boost::system::error_code& ec) {
                             if (ec) return;
                             read_frames(b);
                             wait_frames(b);
                           });
}

// What is waiting on one interface, a batch at a time, through the pipeline.
void BoundInterfaces::read_frames(Bound& b) {
  for (int rounds = 0; rounds < 16; ++rounds) {
    const size_t n = b.socket->receive();
    if (n == 0) break;
    b.frames.resize(n);
    for (size_t i = 0; i < n; ++i) {
      b.frames[i] = {b.socket->frame(i), b.socket->length(i), b.socket->capacity(i)};
    }
    frames_.receive(b.index, b.frames);
    flush_frames();
    if (n < 16) break;  // a short read: the queue is drained
  }
  log_.flush();
}

// What the bound interfaces queued, sent a batch at a time.
void BoundInterfaces::flush_frames() {
  for (auto& [index, b] : bound_)
    if (b.socket) b.socket->flush();
}

void BoundInterfaces::run() {
  frames_.run();
  flush_frames();
}

void BoundInterfaces::count_host_drops() {
  for (auto& [index, b] : bound_)
    if (b.socket) device_.counters(index).host_drops += b.socket->take_host_drops();
}

}  // namespace vfw
