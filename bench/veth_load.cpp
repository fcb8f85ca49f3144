// vfw_veth_load: offered load into one interface, counted out of another, for the forwarding
// figures of `vfw run --bind` and of the Linux kernel between the same interfaces
// (scripts/bench-vm, docs/performance.md). One thread sends pre-built UDP frames as fast as
// sendmmsg takes them, cycling through a set of flows (so that the firewall's sessions are
// established after the first round); another counts what arrives on the far interface, IPv4
// frames only (UDP and ESP apart; ARP ignored). Each interface may be in a network namespace of
// its own (NETNS:IF): the sockets are opened inside it (setns), then used from here.
//
// usage: vfw_veth_load SEND_NETNS:IF RECEIVE_NETNS:IF DST_MAC SRC_IP DST_IP FLOWS SIZE SECONDS
// prints: sent=N received=N udp=N esp=N seconds=S
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "packet/ethernet.hpp"
#include "packet/packet.hpp"

using namespace vfw;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "vfw_veth_load: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// A packet socket on IF inside NETNS ("-" for this one), and the interface's MAC address.
int open_in(const std::string& where, MacAddress& mac) {
  const size_t colon = where.find(':');
  const std::string ns = where.substr(0, colon);
  const std::string ifname = where.substr(colon + 1);
  const int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (ns != "-") {
    const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) fail("cannot enter " + ns);
    close(fd);
  }
  const int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (s < 0) fail("packet socket");
  sockaddr_ll at{};
  at.sll_family = AF_PACKET;
  at.sll_protocol = htons(ETH_P_ALL);
  at.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (at.sll_ifindex == 0 || bind(s, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
    fail("cannot bind to " + where);
  ifreq req{};
  std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFHWADDR, &req) == 0) std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, 6);
  if (setns(home, CLONE_NEWNET) != 0) fail("cannot come back to this namespace");
  close(home);
  return s;
}

MacAddress parse_mac(const char* text) {
  MacAddress m{};
  unsigned v[6];
  if (std::sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
    std::fprintf(stderr, "vfw_veth_load: %s is not a MAC address\n", text);
    std::exit(2);
  }
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr,
                 "usage: vfw_veth_load SEND_NETNS:IF RECEIVE_NETNS:IF DST_MAC SRC_IP DST_IP "
                 "FLOWS SIZE SECONDS\n");
    return 2;
  }
  MacAddress src_mac{};
  MacAddress unused{};
  const int receiver = open_in(argv[2], unused);
  const int sender = open_in(argv[1], src_mac);
  const MacAddress dst_mac = parse_mac(argv[3]);
  const auto src = parse_ipv4(argv[4]);
  const auto dst = parse_ipv4(argv[5]);
  const int flows = std::atoi(argv[6]);
  const int size = std::atoi(argv[7]);  // the frame's length, Ethernet header included
  const double seconds = std::atof(argv[8]);
  if (!src || !dst || flows < 1 || size < 64 || size > 1514 || seconds <= 0) return 2;

  // One frame per flow: UDP from SRC_IP, source port 10000 + flow, to DST_IP:9.
  std::vector<std::vector<uint8_t>> frames;
  for (int f = 0; f < flows; ++f) {
    PacketSpec p;
    p.protocol = ipproto::kUdp;
    p.src = *src;
    p.dst = *dst;
    p.src_port = static_cast<uint16_t>(10000 + f);
    p.dst_port = 9;
    p.total_length = static_cast<uint16_t>(size - kEthernetHeaderBytes);
    frames.push_back(ethernet_frame(dst_mac, src_mac, kEtherTypeIpv4, build_packet(p)));
  }

  std::atomic<bool> done{false};
  std::atomic<uint64_t> udp{0};
  std::atomic<uint64_t> esp{0};
  std::thread counting([&] {
    timeval wait{0, 100000};
    setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    constexpr size_t kBatch = 64;
    std::vector<std::vector<uint8_t>> buffers(kBatch, std::vector<uint8_t>(2048));
    std::vector<mmsghdr> messages(kBatch);
    std::vector<iovec> vectors(kBatch);
    while (!done.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < kBatch; ++i) {
        vectors[i] = {buffers[i].data(), buffers[i].size()};
        messages[i].msg_hdr = {};
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(receiver, messages.data(), kBatch, 0, nullptr);
      for (int i = 0; i < n; ++i) {
        const auto& b = buffers[static_cast<size_t>(i)];
        if (messages[static_cast<size_t>(i)].msg_len < 34 || load16(&b[12]) != kEtherTypeIpv4)
          continue;
        if (b[23] == ipproto::kEsp || (b[23] == ipproto::kUdp && load16(&b[36]) == 4500)) {
          esp.fetch_add(1, std::memory_order_relaxed);
        } else if (b[23] == ipproto::kUdp) {
          udp.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
  });

  constexpr size_t kBatch = 64;
  std::vector<mmsghdr> messages(kBatch);
  std::vector<iovec> vectors(kBatch);
  uint64_t sent = 0;
  size_t next = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    for (size_t i = 0; i < kBatch; ++i) {
      auto& f = frames[next];
      next = (next + 1) % frames.size();
      vectors[i] = {f.data(), f.size()};
      messages[i].msg_hdr = {};
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = sendmmsg(sender, messages.data(), kBatch, 0);
    if (n > 0) sent += static_cast<uint64_t>(n);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // What is still on its way arrives within a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  done = true;
  counting.join();
  std::printf("sent=%llu received=%llu udp=%llu esp=%llu seconds=%.3f\n",
              static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(udp.load() + esp.load()),
              static_cast<unsigned long long>(udp.load()),
              static_cast<unsigned long long>(esp.load()), elapsed);
  return 0;
}
