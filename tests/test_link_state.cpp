// The host's interfaces as vfw run follows them (issue 25, item 6): rtnetlink's link messages
// decoded, hostile ones refused, and a link the host reports down seen by the device as a pulled
// cable is: display interface brief says down (not *down, which is a shutdown), its routes leave
// the FIB, and packets routed to it are dropped until it returns.
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "cli/line_runner.hpp"
#include "lab.hpp"
#include "netio/link_monitor.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

std::vector<uint8_t> link_message(uint16_t type, int index, unsigned flags, const char* name) {
  std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* h = mnl_nlmsg_put_header(buffer.data());
  h->nlmsg_type = type;
  auto* info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
  info->ifi_index = index;
  info->ifi_flags = flags;
  if (name != nullptr) mnl_attr_put_strz(h, IFLA_IFNAME, name);
  buffer.resize(h->nlmsg_len);
  return buffer;
}

std::string brief_state(Device& d, const std::string& interface) {
  LineRunner runner(d);
  const LineOutput r = runner.run("display interface brief", 0);
  REQUIRE(r.ok);
  for (size_t at = r.out.find(interface + " "); at != std::string::npos;) {
    const size_t start = r.out.find_first_not_of(' ', at + interface.size());
    return r.out.substr(start, r.out.find(' ', start) - start);
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("rtnetlink link messages: decoded, and hostile ones refused", "[link][hostile]") {
  LinkEvent e;
  auto m = link_message(RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, "fw1i");
  REQUIRE(LinkMonitor::decode(m.data(), m.size(), e));
  CHECK(e.name == "fw1i");
  CHECK(e.index == 7);
  CHECK(e.up);
  CHECK_FALSE(e.deleted);
  m = link_message(RTM_NEWLINK, 7, IFF_UP, "fw1i");  // no carrier
  REQUIRE(LinkMonitor::decode(m.data(), m.size(), e));
  CHECK_FALSE(e.up);
  m = link_message(RTM_DELLINK, 7, 0, "fw1i");
  REQUIRE(LinkMonitor::decode(m.data(), m.size(), e));
  CHECK(e.deleted);
  // Other messages, no name, a name too long for an interface, every truncation: refused.
  m = link_message(RTM_NEWADDR, 7, 0, "fw1i");
  CHECK_FALSE(LinkMonitor::decode(m.data(), m.size(), e));
  m = link_message(RTM_NEWLINK, 7, 0, nullptr);
  CHECK_FALSE(LinkMonitor::decode(m.data(), m.size(), e));
  m = link_message(RTM_NEWLINK, 7, 0, "an-interface-name-too-long");
  CHECK_FALSE(LinkMonitor::decode(m.data(), m.size(), e));
  const auto whole = link_message(RTM_NEWLINK, 7, IFF_UP, "fw1i");
  for (size_t n = 0; n < whole.size(); ++n) {
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(LinkMonitor::decode(cut.data(), cut.size(), e));
    // The same cut with its length field saying so: the attributes are walked within it, and
    // only a cut of the name attribute's padding still decodes (to the whole name).
    if (n >= sizeof(nlmsghdr)) {
      reinterpret_cast<nlmsghdr*>(cut.data())->nlmsg_len = static_cast<uint32_t>(n);
      if (LinkMonitor::decode(cut.data(), cut.size(), e)) {
        CHECK(e.name == "fw1i");
        CHECK(n + 3 >= whole.size());
      }
    }
  }
  // A name attribute without its terminating NUL.
  auto unterminated = whole;
  auto* h = reinterpret_cast<nlmsghdr*>(unterminated.data());
  auto* a = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(h, sizeof(ifinfomsg)));
  std::memset(mnl_attr_get_payload(a), 'x', mnl_attr_get_payload_len(a));
  CHECK_FALSE(LinkMonitor::decode(unterminated.data(), unterminated.size(), e));
}

TEST_CASE("a link the host reports down: down in display interface brief, its routes gone",
          "[link]") {
  Device d(load_example("fw1.cfg"));
  const std::string wan = "GigabitEthernet0/0/2";
  CHECK(brief_state(d, wan) == "up");
  REQUIRE(d.snapshot().fib.lookup(*parse_ipv4("8.8.8.8")) != nullptr);
  CHECK(d.set_link(wan, false));
  CHECK_FALSE(d.set_link(wan, false));  // already so
  CHECK(brief_state(d, wan) == "down");
  CHECK(d.snapshot().fib.lookup(*parse_ipv4("8.8.8.8")) == nullptr);
  // The configuration itself is untouched: no shutdown appears.
  CHECK_FALSE(d.config().interfaces.at(wan).shutdown);
  CHECK(d.set_link(wan, true));
  CHECK(brief_state(d, wan) == "up");
  CHECK(d.snapshot().fib.lookup(*parse_ipv4("8.8.8.8")) != nullptr);
}
