// What happens to the host's interfaces while vfw runs on them, from rtnetlink (rtnetlink(7),
// the RTMGRP_LINK group): an interface created or deleted, its link going down or up. A VM NIC
// hot-plugged, a containerlab peer restarted, a veth deleted: vfw run follows them instead of
// reading a dead socket for ever. Sans policy: it reports, the daemon decides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.hpp"

struct mnl_socket;

namespace vfw {

struct LinkEvent {
  std::string name;  // the Linux interface
  int index = 0;     // its ifindex (a re-created interface has a new one)
  bool deleted = false;
  bool up = false;  // administratively up with a carrier (IFF_UP and IFF_RUNNING)
};

class LinkMonitor {
 public:
  // nullptr with error when the netlink socket cannot be opened.
  static Expected<std::unique_ptr<LinkMonitor>> open();
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  int fd() const;
  // The events waiting now, without blocking. overflowed is set when the kernel dropped some
  // (ENOBUFS): the caller should then look at every interface it cares about again.
  std::vector<LinkEvent> receive(bool& overflowed);

  // The state of one interface now (from if_nametoindex and SIOCGIFFLAGS); index 0 when there is
  // no interface of that name.
  static LinkEvent current(const std::string& name);

  // A message as the kernel sends it, decoded: exposed for the tests (hostile input included).
  static bool decode(const void* message, size_t length, LinkEvent& out);

 private:
  LinkMonitor() = default;
  mnl_socket* nl_ = nullptr;
  std::vector<uint8_t> buffer_;
};

}  // namespace vfw
