#include "kernel/conntrack.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "kernel/netlink_request.hpp"
#include "packet/packet.hpp"

namespace vfw::kernel {
namespace {

// The attributes of one nest by type, each checked to lie inside it (mnl_attr_parse_nested stops
// at the first that does not). Types past the table are ignored.
template <size_t N>
bool attributes_of(const nlattr* nest, std::array<const nlattr*, N>& out) {
  out.fill(nullptr);
  auto keep = [](const nlattr* a, void* data) -> int {
    auto& table = *static_cast<std::array<const nlattr*, N>*>(data);
    const uint16_t type = mnl_attr_get_type(a);
    if (type < N) table[type] = a;
    return MNL_CB_OK;
  };
  return mnl_attr_parse_nested(nest, keep, &out) >= 0;
}

bool u8_of(const nlattr* a, uint8_t& v) {
  if (a == nullptr || mnl_attr_get_payload_len(a) < 1) return false;
  v = mnl_attr_get_u8(a);
  return true;
}
bool be16_of(const nlattr* a, uint16_t& v) {
  if (a == nullptr || mnl_attr_get_payload_len(a) < 2) return false;
  v = ntohs(mnl_attr_get_u16(a));
  return true;
}
bool be32_of(const nlattr* a, uint32_t& v) {
  if (a == nullptr || mnl_attr_get_payload_len(a) < 4) return false;
  v = ntohl(mnl_attr_get_u32(a));
  return true;
}
bool be64_of(const nlattr* a, uint64_t& v) {
  if (a == nullptr || mnl_attr_get_payload_len(a) < 8) return false;
  uint64_t raw = 0;
  std::memcpy(&raw, mnl_attr_get_payload(a), 8);
  v = be64toh(raw);
  return true;
}

// A tuple in vfw's key form. The ICMP fields are the request's for both directions (vfw keys a
// reply like its request: identifier and request type), which the caller passes for the reply.
bool tuple_of(const nlattr* nest, FlowKey& key, const FlowKey* request) {
  std::array<const nlattr*, CTA_TUPLE_MAX + 1> tuple{};
  if (nest == nullptr || !attributes_of(nest, tuple)) return false;
  std::array<const nlattr*, CTA_IP_MAX + 1> ip{};
  std::array<const nlattr*, CTA_PROTO_MAX + 1> proto{};
  if (tuple[CTA_TUPLE_IP] == nullptr || tuple[CTA_TUPLE_PROTO] == nullptr ||
      !attributes_of(tuple[CTA_TUPLE_IP], ip) || !attributes_of(tuple[CTA_TUPLE_PROTO], proto))
    return false;
  if (!be32_of(ip[CTA_IP_V4_SRC], key.src) || !be32_of(ip[CTA_IP_V4_DST], key.dst)) return false;
  if (!u8_of(proto[CTA_PROTO_NUM], key.proto)) return false;
  if (key.proto == ipproto::kTcp || key.proto == ipproto::kUdp) {
    return be16_of(proto[CTA_PROTO_SRC_PORT], key.sport) &&
           be16_of(proto[CTA_PROTO_DST_PORT], key.dport);
  }
  if (key.proto == ipproto::kIcmp) {
    uint8_t type = 0, code = 0;
    if (!be16_of(proto[CTA_PROTO_ICMP_ID], key.sport) || !u8_of(proto[CTA_PROTO_ICMP_TYPE], type) ||
        !u8_of(proto[CTA_PROTO_ICMP_CODE], code))
      return false;
    key.dport = request != nullptr ? request->dport : static_cast<uint16_t>(type << 8 | code);
  }
  return true;
}

void counters_of(const nlattr* nest, uint64_t& packets, uint64_t& bytes) {
  std::array<const nlattr*, CTA_COUNTERS_MAX + 1> c{};
  if (nest == nullptr || !attributes_of(nest, c)) return;
  be64_of(c[CTA_COUNTERS_PACKETS], packets);
  be64_of(c[CTA_COUNTERS_BYTES], bytes);
}

}  // namespace

std::optional<ConntrackEntry> parse_conntrack_message(std::span<const uint8_t> message) {
  if (message.size() < sizeof(nlmsghdr) + sizeof(nfgenmsg)) return std::nullopt;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (!mnl_nlmsg_ok(nlh, static_cast<int>(message.size()))) return std::nullopt;
  if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) return std::nullopt;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nfgenmsg))) return std::nullopt;
  const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  if (gen->nfgen_family != AF_INET) return std::nullopt;
  std::array<const nlattr*, CTA_MAX + 1> top{};
  auto keep = [](const nlattr* a, void* data) -> int {
    auto& table = *static_cast<std::array<const nlattr*, CTA_MAX + 1>*>(data);
    const uint16_t type = mnl_attr_get_type(a);
    if (type <= CTA_MAX) table[type] = a;
    return MNL_CB_OK;
  };
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), keep, &top) < 0) return std::nullopt;
  ConntrackEntry e;
  if (!tuple_of(top[CTA_TUPLE_ORIG], e.original, nullptr) ||
      !tuple_of(top[CTA_TUPLE_REPLY], e.reply, &e.original))
    return std::nullopt;
  be32_of(top[CTA_TIMEOUT], e.timeout);
  counters_of(top[CTA_COUNTERS_ORIG], e.packets[0], e.bytes[0]);
  counters_of(top[CTA_COUNTERS_REPLY], e.packets[1], e.bytes[1]);
  if (e.original.proto == ipproto::kTcp && top[CTA_PROTOINFO] != nullptr) {
    std::array<const nlattr*, CTA_PROTOINFO_MAX + 1> info{};
    std::array<const nlattr*, CTA_PROTOINFO_TCP_MAX + 1> tcp{};
    if (attributes_of(top[CTA_PROTOINFO], info) && info[CTA_PROTOINFO_TCP] != nullptr &&
        attributes_of(info[CTA_PROTOINFO_TCP], tcp))
      u8_of(tcp[CTA_PROTOINFO_TCP_STATE], e.tcp_state);
  }
  return e;
}

Expected<std::vector<ConntrackEntry>> dump_conntrack() {
  std::vector<ConntrackEntry> entries;
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int why = errno;
    if (nl != nullptr) mnl_socket_close(nl);
    return fail(std::string("cannot open a netfilter netlink socket: ") + std::strerror(why));
  }
  std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const auto seq = static_cast<uint32_t>(std::time(nullptr));
  nlh->nlmsg_seq = seq;
  auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  gen->nfgen_family = AF_INET;
  gen->version = NFNETLINK_V0;
  gen->res_id = 0;
  const uint32_t port = mnl_socket_get_portid(nl);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    const int why = errno;
    mnl_socket_close(nl);
    return fail(std::string("cannot ask for the conntrack table: ") + std::strerror(why));
  }
  auto each = [](const nlmsghdr* m, void* data) -> int {
    auto& out = *static_cast<std::vector<ConntrackEntry>*>(data);
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(m), m->nlmsg_len);
    if (auto e = parse_conntrack_message(bytes)) out.push_back(*e);
    return MNL_CB_OK;
  };
  int status = MNL_CB_OK;
  while (status > MNL_CB_STOP) {
    const ssize_t n = mnl_socket_recvfrom(nl, buffer.data(), buffer.size());
    if (n < 0) {
      const int why = errno;
      mnl_socket_close(nl);
      return fail(std::string("cannot read the conntrack table: ") + std::strerror(why));
    }
    status = mnl_cb_run(buffer.data(), static_cast<size_t>(n), seq, port, each, &entries);
  }
  const int why = errno;
  mnl_socket_close(nl);
  if (status < 0)
    return fail(std::string("the kernel refused the conntrack dump: ") + std::strerror(why));
  return entries;
}

Status delete_conntrack(const FlowKey& original) {
  std::array<uint8_t, 1024> request{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(request.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
  auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  gen->nfgen_family = AF_INET;
  gen->version = NFNETLINK_V0;
  nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(original.src));
  mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(original.dst));
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, original.proto);
  if (original.proto == ipproto::kIcmp) {
    mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(original.sport));
    mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, static_cast<uint8_t>(original.dport >> 8));
    mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, static_cast<uint8_t>(original.dport & 0xff));
  } else if (original.proto == ipproto::kTcp || original.proto == ipproto::kUdp) {
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(original.sport));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(original.dport));
  }
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
  // A connection already gone is what was asked.
  if (Status sent = netlink_request(NETLINK_NETFILTER, nlh, true); !sent)
    return fail("cannot delete the connection: " + sent.error().message);
  return {};
}

Status enable_conntrack_accounting() {
  return set_sysctl("net.netfilter.nf_conntrack_acct", "1");
}

}  // namespace vfw::kernel
