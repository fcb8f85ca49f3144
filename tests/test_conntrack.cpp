// The ctnetlink parser of `vfw run --dataplane kernel` on messages laid out as the kernel sends
// them in a dump (nfnetlink_conntrack.h), built here with libmnl.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "kernel/conntrack.hpp"
#include "packet/packet.hpp"

using namespace vfw;

namespace {

struct Tuple {
  const char* src;
  const char* dst;
  uint8_t proto;
  uint16_t sport;  // ICMP: identifier
  uint16_t dport;  // ICMP: type << 8 | code
};

void put_tuple(nlmsghdr* nlh, uint16_t type, const Tuple& t) {
  nlattr* tuple = mnl_attr_nest_start(nlh, type);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, inet_addr(t.src));
  mnl_attr_put_u32(nlh, CTA_IP_V4_DST, inet_addr(t.dst));
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t.proto);
  if (t.proto == ipproto::kIcmp) {
    mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t.sport));
    mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, static_cast<uint8_t>(t.dport >> 8));
    mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, static_cast<uint8_t>(t.dport & 0xff));
  } else {
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t.sport));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t.dport));
  }
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
}

void put_counters(nlmsghdr* nlh, uint16_t type, uint64_t packets, uint64_t bytes) {
  nlattr* c = mnl_attr_nest_start(nlh, type);
  mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(packets));
  mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
  mnl_attr_nest_end(nlh, c);
}

std::vector<uint8_t> message(const Tuple& original, const Tuple& reply, uint8_t family = AF_INET,
                             uint8_t tcp_state = 0) {
  std::vector<uint8_t> buffer(4096);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
  nlh->nlmsg_flags = NLM_F_MULTI;
  auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  gen->nfgen_family = family;
  gen->version = NFNETLINK_V0;
  put_tuple(nlh, CTA_TUPLE_ORIG, original);
  put_tuple(nlh, CTA_TUPLE_REPLY, reply);
  mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x1be));
  mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(117));
  put_counters(nlh, CTA_COUNTERS_ORIG, 3, 180);
  put_counters(nlh, CTA_COUNTERS_REPLY, 2, 120);
  if (tcp_state != 0) {
    nlattr* info = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
    nlattr* tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
    mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, tcp_state);
    mnl_attr_nest_end(nlh, tcp);
    mnl_attr_nest_end(nlh, info);
  }
  buffer.resize(nlh->nlmsg_len);
  return buffer;
}

uint32_t ip(const char* text) {
  return ntohl(inet_addr(text));
}

}  // namespace

TEST_CASE("a conntrack entry becomes vfw's session keys: easy-ip's translation kept", "[kernel]") {
  // 10.1.0.2:40123 -> 203.0.113.9:53 masqueraded to 198.51.100.1:40123: the reply comes back from
  // 203.0.113.9:53 to the translated address.
  const auto m = message({"10.1.0.2", "203.0.113.9", ipproto::kUdp, 40123, 53},
                         {"203.0.113.9", "198.51.100.1", ipproto::kUdp, 53, 40123});
  const auto e = kernel::parse_conntrack_message(m);
  REQUIRE(e.has_value());
  CHECK(e->original.src == ip("10.1.0.2"));
  CHECK(e->original.dst == ip("203.0.113.9"));
  CHECK(e->original.sport == 40123);
  CHECK(e->original.dport == 53);
  CHECK(e->original.proto == ipproto::kUdp);
  CHECK(e->reply.src == ip("203.0.113.9"));
  CHECK(e->reply.dst == ip("198.51.100.1"));
  CHECK(e->reply.sport == 53);
  CHECK(e->reply.dport == 40123);
  CHECK(e->timeout == 117);
  CHECK(e->packets[0] == 3);
  CHECK(e->bytes[0] == 180);
  CHECK(e->packets[1] == 2);
  CHECK(e->bytes[1] == 120);
}

TEST_CASE("an ICMP entry is keyed like the device's: identifier, and the request's type",
          "[kernel]") {
  // An echo request (8, 0) with identifier 7, translated to identifier 1024; the reply tuple's
  // type is the echo reply's, but vfw keys a reply like its request.
  const auto m = message({"10.1.0.2", "203.0.113.9", ipproto::kIcmp, 7, 8 << 8},
                         {"203.0.113.9", "198.51.100.1", ipproto::kIcmp, 1024, 0});
  const auto e = kernel::parse_conntrack_message(m);
  REQUIRE(e.has_value());
  CHECK(e->original.sport == 7);
  CHECK(e->original.dport == (8 << 8));
  CHECK(e->reply.sport == 1024);
  CHECK(e->reply.dport == (8 << 8));
}

TEST_CASE("a TCP entry carries the kernel's state", "[kernel]") {
  const auto m = message({"10.1.0.2", "203.0.113.9", ipproto::kTcp, 50000, 443},
                         {"203.0.113.9", "10.1.0.2", ipproto::kTcp, 443, 50000}, AF_INET, 3);
  const auto e = kernel::parse_conntrack_message(m);
  REQUIRE(e.has_value());
  CHECK(e->tcp_state == 3);
}

TEST_CASE("other families, other messages and every truncation are refused, never read past",
          "[kernel]") {
  const Tuple o{"10.1.0.2", "203.0.113.9", ipproto::kTcp, 50000, 443};
  const Tuple r{"203.0.113.9", "10.1.0.2", ipproto::kTcp, 443, 50000};
  CHECK_FALSE(kernel::parse_conntrack_message(message(o, r, AF_INET6)).has_value());
  auto other = message(o, r);
  reinterpret_cast<nlmsghdr*>(other.data())->nlmsg_type = NLMSG_DONE;
  CHECK_FALSE(kernel::parse_conntrack_message(other).has_value());
  const auto whole = message(o, r);
  REQUIRE(kernel::parse_conntrack_message(whole).has_value());
  for (size_t n = 0; n < whole.size(); ++n) {
    // Cut short, with the header still claiming the whole length: refused.
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<long>(n));
    CHECK_FALSE(kernel::parse_conntrack_message(cut).has_value());
  }
  // The header's length shrunk instead (the attributes after it are not there): never a crash,
  // and never an entry without both tuples.
  for (uint32_t len = 0; len < whole.size(); len += 4) {
    auto shrunk = whole;
    reinterpret_cast<nlmsghdr*>(shrunk.data())->nlmsg_len = len;
    const auto e = kernel::parse_conntrack_message(shrunk);
    if (e) CHECK(e->reply.src == ip("203.0.113.9"));
  }
}
