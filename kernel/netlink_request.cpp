#include "kernel/netlink_request.hpp"

#include <libmnl/libmnl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

namespace vfw::kernel {

Status netlink_request(int bus, nlmsghdr* request, bool absent_is_done) {
  mnl_socket* nl = mnl_socket_open(bus);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int why = errno;
    if (nl != nullptr) mnl_socket_close(nl);
    return fail(std::string("cannot open a netlink socket: ") + std::strerror(why));
  }
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  request->nlmsg_seq = static_cast<uint32_t>(std::time(nullptr));
  const uint32_t port = mnl_socket_get_portid(nl);
  bool ok = mnl_socket_sendto(nl, request, request->nlmsg_len) >= 0;
  if (ok) {
    std::array<uint8_t, 8192> answer{};
    const ssize_t n = mnl_socket_recvfrom(nl, answer.data(), answer.size());
    ok = n >= 0 && mnl_cb_run(answer.data(), static_cast<size_t>(n), request->nlmsg_seq, port,
                              nullptr, nullptr) >= 0;
    if (!ok && absent_is_done && errno == ENOENT) ok = true;
  }
  const int why = errno;
  mnl_socket_close(nl);
  if (!ok) return fail(std::strerror(why));
  return {};
}

Status set_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  std::ofstream f(path);
  f << value << "\n";
  f.flush();
  if (!f) return fail("cannot set " + key + " (root and a writable /proc/sys are needed)");
  return {};
}

}  // namespace vfw::kernel
