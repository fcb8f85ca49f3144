#include "netio/link_monitor.hpp"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace vfw {

Expected<std::unique_ptr<LinkMonitor>> LinkMonitor::open() {
  std::unique_ptr<LinkMonitor> m(new LinkMonitor());
  m->nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (m->nl_ == nullptr || mnl_socket_bind(m->nl_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
    return fail(std::string("cannot follow the host's interfaces (rtnetlink): ") +
                std::strerror(errno));
  }
  m->buffer_.resize(MNL_SOCKET_BUFFER_SIZE > 32768 ? MNL_SOCKET_BUFFER_SIZE : 32768);
  return m;
}

LinkMonitor::~LinkMonitor() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

int LinkMonitor::fd() const {
  return mnl_socket_get_fd(nl_);
}

bool LinkMonitor::decode(const void* message, size_t length, LinkEvent& out) {
  if (length < sizeof(nlmsghdr)) return false;
  const auto* h = static_cast<const nlmsghdr*>(message);
  if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > length) return false;
  if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) return false;
  if (h->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg))) return false;
  const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(h));
  out = LinkEvent{};
  out.index = info->ifi_index;
  out.deleted = h->nlmsg_type == RTM_DELLINK;
  // IFF_RUNNING: up with a carrier (the operational state), as SIOCGIFFLAGS says it in current().
  out.up = (info->ifi_flags & IFF_UP) != 0 && (info->ifi_flags & IFF_RUNNING) != 0;
  // The attributes: only IFLA_IFNAME matters; mnl_attr_validate refuses a malformed one.
  const auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(h, sizeof(ifinfomsg)));
  // The message's own end, not its aligned end: a length that is not a multiple of four must
  // not let an attribute be read past the bytes given.
  const char* tail = reinterpret_cast<const char*>(h) + h->nlmsg_len;
  while (mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)))) {
    if (mnl_attr_get_type(a) == IFLA_IFNAME) {
      if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) return false;
      out.name = mnl_attr_get_str(a);
    }
    a = mnl_attr_next(a);
  }
  return !out.name.empty() && out.name.size() < IFNAMSIZ;
}

std::vector<LinkEvent> LinkMonitor::receive(bool& overflowed) {
  overflowed = false;
  std::vector<LinkEvent> events;
  for (int reads = 0; reads < 64; ++reads) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == ENOBUFS || errno == ENOSPC) {  // events lost, or one cut short
        overflowed = true;
        continue;
      }
      break;  // EAGAIN: nothing more now
    }
    const auto* h = reinterpret_cast<const nlmsghdr*>(buffer_.data());
    int left = static_cast<int>(n);
    while (mnl_nlmsg_ok(h, left)) {
      LinkEvent e;
      if (decode(h, static_cast<size_t>(left), e)) events.push_back(std::move(e));
      h = mnl_nlmsg_next(h, &left);
    }
  }
  return events;
}

LinkEvent LinkMonitor::current(const std::string& name) {
  LinkEvent e;
  e.name = name;
  e.index = static_cast<int>(::if_nametoindex(name.c_str()));
  if (e.index == 0 || name.size() >= IFNAMSIZ) return e;
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return e;
  ifreq r{};
  std::memcpy(r.ifr_name, name.c_str(), name.size());
  if (::ioctl(s, SIOCGIFFLAGS, &r) == 0) {
    // IFF_LOWER_UP is not in the ioctl's 16 bits; IFF_RUNNING is the carrier there.
    e.up = (r.ifr_flags & IFF_UP) != 0 && (r.ifr_flags & IFF_RUNNING) != 0;
  }
  ::close(s);
  return e;
}

}  // namespace vfw
