#include "nft/netlink.hpp"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

namespace vfw::nft {
namespace {

// nft's own numbers for a set's key type (its datatype table): what `nft list` reads back to
// print "type ipv4_addr" or "type ifname".
constexpr uint32_t kTypeIpv4Address = 7;
constexpr uint32_t kTypeInterfaceName = 41;
constexpr uint32_t kInterfaceNameLength = 16;  // IFNAMSIZ, NUL included
// inet_proto . inet_service: a concatenation's type is its fields' types, 6 bits each, the first
// field highest (nft's TYPE_INET_PROTOCOL 12 and TYPE_INET_SERVICE 13).
constexpr uint32_t kTypeProtocolDotService = (12U << 6) | 13U;
// A concatenation's key: each field in a 32-bit register of its own.
constexpr uint32_t kServiceKeyLength = 8;
// nft's byte-order numbers, in a set's user data.
constexpr uint32_t kByteOrderHost = 1;
constexpr uint32_t kByteOrderBigEndian = 2;
constexpr uint8_t kFamily = NFPROTO_IPV4;
constexpr const char* kTable = "vfw";

// The interface name as the kernel compares it: 16 bytes, NUL-padded.
std::array<uint8_t, kInterfaceNameLength> interface_key(const std::string& name) {
  std::array<uint8_t, kInterfaceNameLength> key{};
  std::memcpy(key.data(), name.data(), std::min<size_t>(name.size(), kInterfaceNameLength - 1));
  return key;
}

std::array<uint8_t, 4> be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

std::array<uint8_t, 2> be16(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// One rule's expressions, added in order.
class RuleBuilder {
 public:
  explicit RuleBuilder(nftnl_rule* rule) : rule_(rule) {}

  nftnl_expr* add(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    nftnl_rule_add_expr(rule_, e);
    return e;
  }
  void meta(uint32_t key) {
    nftnl_expr* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  }
  void payload(uint32_t base, uint32_t offset, uint32_t length) {
    nftnl_expr* e = add("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, length);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  }
  void cmp(uint32_t op, const void* data, uint32_t length) {
    nftnl_expr* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, length);
  }
  void bitwise(const void* mask, const void* zero, uint32_t length) {
    nftnl_expr* e = add("bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, length);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, length);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, length);
  }
  void lookup(const std::string& set, uint32_t id) {
    nftnl_expr* e = add("lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
  }
  void immediate_data(uint32_t reg, const void* data, uint32_t length) {
    nftnl_expr* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, length);
  }
  void verdict(int v) {
    nftnl_expr* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(v));
  }

  // ip saddr/daddr: a single address, a prefix (masked) or a range (two comparisons).
  void address(uint32_t offset, const AddressRange& r) {
    payload(NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
    const uint32_t span = r.hi.v - r.lo.v;
    const auto lo = be32(r.lo.v);
    if (span == 0) {
      cmp(NFT_CMP_EQ, lo.data(), 4);
    } else if ((span & (span + 1)) == 0 && (r.lo.v & span) == 0) {
      const auto mask = be32(~span);
      const auto zero = be32(0);
      bitwise(mask.data(), zero.data(), 4);
      cmp(NFT_CMP_EQ, lo.data(), 4);
    } else {
      const auto hi = be32(r.hi.v);
      cmp(NFT_CMP_GTE, lo.data(), 4);
      cmp(NFT_CMP_LTE, hi.data(), 4);
    }
  }

  void port(uint32_t offset, uint16_t lo, uint16_t hi) {
    payload(NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
    const auto a = be16(lo);
    if (lo == hi) {
      cmp(NFT_CMP_EQ, a.data(), 2);
    } else {
      const auto b = be16(hi);
      cmp(NFT_CMP_GTE, a.data(), 2);
      cmp(NFT_CMP_LTE, b.data(), 2);
    }
  }

 private:
  nftnl_rule* rule_;
};

struct Batch {
  // Pages of 256 KiB, each with room for one more message past its end: a batch of tens of
  // thousands of rules stays within the few dozen buffers one sendmsg takes.
  nftnl_batch* batch = nftnl_batch_alloc(256 * 1024, 64 * 1024);
  uint32_t seq = static_cast<uint32_t>(std::time(nullptr));
  size_t messages = 0;
  ~Batch() { nftnl_batch_free(batch); }
  nlmsghdr* last = nullptr;  // the last message before the batch's end
  uint32_t acked_seq = 0;
  char* buffer() { return static_cast<char*>(nftnl_batch_buffer(batch)); }
  void next() {
    last = reinterpret_cast<nlmsghdr*>(buffer());
    nftnl_batch_update(batch);
    ++messages;
  }
};

// Builds the whole batch. The ids tie each rule's lookup to the set made in the same batch.
void build(const Ruleset& rs, Batch& b) {
  nftnl_batch_begin(b.buffer(), b.seq++);
  b.next();

  auto table = [&](uint16_t type, uint16_t flags) {
    nftnl_table* t = nftnl_table_alloc();
    nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, kFamily);
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, kTable);
    nlmsghdr* h = nftnl_table_nlmsg_build_hdr(b.buffer(), type, kFamily, flags, b.seq++);
    nftnl_table_nlmsg_build_payload(h, t);
    nftnl_table_free(t);
    b.next();
  };
  // Add (a no-op when it exists), delete, add again: the old table goes, whatever it held, and
  // only in the same transaction as the new one comes.
  table(NFT_MSG_NEWTABLE, NLM_F_CREATE);
  table(NFT_MSG_DELTABLE, 0);
  table(NFT_MSG_NEWTABLE, NLM_F_CREATE);

  std::map<std::string, uint32_t> set_ids;
  uint32_t next_id = 1;
  for (const auto& s : rs.sets) {
    nftnl_set* set = nftnl_set_alloc();
    nftnl_set_set_str(set, NFTNL_SET_TABLE, kTable);
    nftnl_set_set_str(set, NFTNL_SET_NAME, s.name.c_str());
    nftnl_set_set_u32(set, NFTNL_SET_FAMILY, kFamily);
    const uint32_t id = next_id++;
    set_ids[s.name] = id;
    nftnl_set_set_u32(set, NFTNL_SET_ID, id);
    if (s.type == Set::Type::Interfaces) {
      nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, kTypeInterfaceName);
      nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, kInterfaceNameLength);
      nftnl_set_set_u32(set, NFTNL_SET_FLAGS, 0);
    } else if (s.type == Set::Type::Services) {
      nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, kTypeProtocolDotService);
      nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, kServiceKeyLength);
      nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
      // The fields' own lengths (a protocol's byte, a port's two): the kernel's set of intervals
      // of concatenations (pipapo) needs them.
      const std::array<uint8_t, 2> fields = {1, 2};
      nftnl_set_set_data(set, NFTNL_SET_DESC_CONCAT, fields.data(), fields.size());
    } else {
      nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, kTypeIpv4Address);
      nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, 4);
      nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
    }
    // nft reads the key's byte order from the set's user data: an interface name is a string in
    // host order, an address big-endian. Without it, nft would print the names reversed.
    nftnl_udata_buf* ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
    if (s.type != Set::Type::Services)  // a concatenation's fields carry their own byte order
      nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
                          s.type == Set::Type::Interfaces ? kByteOrderHost : kByteOrderBigEndian);
    nftnl_set_set_data(set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    // EXCL: two sets of one name are an exporter's bug the kernel must refuse, not merge.
    nlmsghdr* h = nftnl_nlmsg_build_hdr(b.buffer(), NFT_MSG_NEWSET, kFamily,
                                        NLM_F_CREATE | NLM_F_EXCL, b.seq++);
    nftnl_set_nlmsg_build_payload(h, set);
    b.next();

    auto element = [&](const void* key, uint32_t length, bool interval_end) {
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, length);
      if (interval_end) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      nftnl_set_elem_add(set, e);
    };
    if (s.type == Set::Type::Interfaces) {
      for (const auto& m : s.members) {
        const auto key = interface_key(m);
        element(key.data(), kInterfaceNameLength, false);
      }
    } else if (s.type == Set::Type::Services) {
      // Each interval as its first and last key (no end elements, unlike an address interval).
      for (const auto& p : s.ports) {
        const std::array<uint8_t, kServiceKeyLength> lo = {
            p.protocol, 0, 0, 0, static_cast<uint8_t>(p.lo >> 8), static_cast<uint8_t>(p.lo), 0, 0};
        const std::array<uint8_t, kServiceKeyLength> hi = {
            p.protocol, 0, 0, 0, static_cast<uint8_t>(p.hi >> 8), static_cast<uint8_t>(p.hi), 0, 0};
        nftnl_set_elem* e = nftnl_set_elem_alloc();
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, lo.data(), lo.size());
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, hi.data(), hi.size());
        nftnl_set_elem_add(set, e);
      }
    } else {
      // An interval set holds each range as its start and the address after its end (flagged as
      // an end); a gap before the first range starts with an end at 0.0.0.0.
      if (!s.addresses.empty() && s.addresses.front().lo.v != 0) {
        const auto zero = be32(0);
        element(zero.data(), 4, true);
      }
      for (const auto& r : s.addresses) {
        const auto lo = be32(r.lo.v);
        element(lo.data(), 4, false);
        if (r.hi.v != 0xffffffffu) {
          const auto end = be32(r.hi.v + 1);
          element(end.data(), 4, true);
        }
      }
    }
    if (!s.members.empty() || !s.addresses.empty() || !s.ports.empty()) {
      h = nftnl_nlmsg_build_hdr(b.buffer(), NFT_MSG_NEWSETELEM, kFamily, NLM_F_CREATE, b.seq++);
      nftnl_set_elems_nlmsg_build_payload(h, set);
      b.next();
    }
    nftnl_set_free(set);
  }

  for (const auto& c : rs.chains) {
    nftnl_chain* chain = nftnl_chain_alloc();
    nftnl_chain_set_str(chain, NFTNL_CHAIN_TABLE, kTable);
    nftnl_chain_set_str(chain, NFTNL_CHAIN_NAME, c.name.c_str());
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_FAMILY, kFamily);
    nftnl_chain_set_str(chain, NFTNL_CHAIN_TYPE, c.nat ? "nat" : "filter");
    uint32_t hook = NF_INET_FORWARD;
    if (c.hook == "prerouting") hook = NF_INET_PRE_ROUTING;
    if (c.hook == "input") hook = NF_INET_LOCAL_IN;
    if (c.hook == "output") hook = NF_INET_LOCAL_OUT;
    if (c.hook == "postrouting") hook = NF_INET_POST_ROUTING;
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_HOOKNUM, hook);
    nftnl_chain_set_s32(chain, NFTNL_CHAIN_PRIO, c.priority);
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_POLICY, c.accept ? NF_ACCEPT : NF_DROP);
    nlmsghdr* h = nftnl_chain_nlmsg_build_hdr(b.buffer(), NFT_MSG_NEWCHAIN, kFamily,
                                              NLM_F_CREATE | NLM_F_EXCL, b.seq++);
    nftnl_chain_nlmsg_build_payload(h, chain);
    nftnl_chain_free(chain);
    b.next();

    for (const auto& r : c.rules) {
      nftnl_rule* rule = nftnl_rule_alloc();
      nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, kTable);
      nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, c.name.c_str());
      nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, kFamily);
      RuleBuilder e(rule);
      bool l4_loaded = false;  // the protocol is compared once, before the rule's first port
      for (const auto& m : r.matches) {
        using K = Match::Kind;
        switch (m.kind) {
          case K::Established: {
            nftnl_expr* ct = e.add("ct");
            nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
            nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
            const auto mask = static_cast<uint32_t>(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
                                                    NF_CT_STATE_BIT(IP_CT_RELATED));
            const uint32_t zero = 0;
            e.bitwise(&mask, &zero, 4);
            e.cmp(NFT_CMP_NEQ, &zero, 4);
            break;
          }
          case K::InInterface:
          case K::OutInterface: {
            e.meta(m.kind == K::InInterface ? NFT_META_IIFNAME : NFT_META_OIFNAME);
            const auto key = interface_key(m.name);
            e.cmp(NFT_CMP_EQ, key.data(), kInterfaceNameLength);
            break;
          }
          case K::InZone:
          case K::OutZone:
            e.meta(m.kind == K::InZone ? NFT_META_IIFNAME : NFT_META_OIFNAME);
            e.lookup(m.name, set_ids[m.name]);
            break;
          case K::Source:
            e.address(12, m.address);
            break;
          case K::Destination:
            e.address(16, m.address);
            break;
          case K::SourceSet:
          case K::DestinationSet:
            e.payload(NFT_PAYLOAD_NETWORK_HEADER, m.kind == K::SourceSet ? 12 : 16, 4);
            e.lookup(m.name, set_ids[m.name]);
            break;
          case K::Protocol:
            e.payload(NFT_PAYLOAD_NETWORK_HEADER, 9, 1);
            e.cmp(NFT_CMP_EQ, &m.protocol, 1);
            break;
          case K::SourcePort:
          case K::DestinationPort: {
            if (!l4_loaded) {
              e.meta(NFT_META_L4PROTO);
              e.cmp(NFT_CMP_EQ, &m.protocol, 1);
              l4_loaded = true;
            }
            e.port(m.kind == K::SourcePort ? 0 : 2, m.port_lo, m.port_hi);
            break;
          }
          case K::ServiceSet: {
            // As nft itself loads it: the protocol into register 1 (widened as nft does), the
            // destination port into the next 32-bit register, the pair looked up.
            e.meta(NFT_META_L4PROTO);
            nftnl_expr* order = e.add("byteorder");
            nftnl_expr_set_u32(order, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
            nftnl_expr_set_u32(order, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
            nftnl_expr_set_u32(order, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
            nftnl_expr_set_u32(order, NFTNL_EXPR_BYTEORDER_LEN, 1);
            nftnl_expr_set_u32(order, NFTNL_EXPR_BYTEORDER_SIZE, 2);
            nftnl_expr* port = e.add("payload");
            nftnl_expr_set_u32(port, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
            nftnl_expr_set_u32(port, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
            nftnl_expr_set_u32(port, NFTNL_EXPR_PAYLOAD_LEN, 2);
            nftnl_expr_set_u32(port, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG32_01);
            e.lookup(m.name, set_ids[m.name]);
            break;
          }
          case K::IcmpType: {
            e.meta(NFT_META_L4PROTO);
            e.cmp(NFT_CMP_EQ, &m.protocol, 1);
            e.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
            const auto type = static_cast<uint8_t>(m.port_lo);
            e.cmp(NFT_CMP_EQ, &type, 1);
            break;
          }
        }
      }
      const auto& st = r.statement;
      switch (st.kind) {
        case Statement::Kind::Accept:
          e.verdict(NF_ACCEPT);
          break;
        case Statement::Kind::Drop:
          e.verdict(NF_DROP);
          break;
        case Statement::Kind::Masquerade:
          e.add("masq");
          break;
        case Statement::Kind::Snat:
        case Statement::Kind::Dnat: {
          const auto lo = be32(st.to.lo.v);
          const auto hi = be32(st.to.hi.v);
          e.immediate_data(NFT_REG_1, lo.data(), 4);
          const bool range = st.to.lo != st.to.hi;
          if (range) e.immediate_data(NFT_REG_2, hi.data(), 4);
          uint32_t flags = NF_NAT_RANGE_MAP_IPS;
          const uint32_t port_reg = range ? NFT_REG_3 : NFT_REG_2;
          if (st.port) {
            const auto p = be16(*st.port);
            e.immediate_data(port_reg, p.data(), 2);
            flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
          }
          nftnl_expr* nat = e.add("nat");
          nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE,
                             st.kind == Statement::Kind::Snat ? NFT_NAT_SNAT : NFT_NAT_DNAT);
          nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY, kFamily);
          nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
          nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MAX, range ? NFT_REG_2 : NFT_REG_1);
          if (st.port) {
            nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
            nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MAX, port_reg);
          }
          nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FLAGS, flags);
          break;
        }
      }
      if (!r.comment.empty()) {
        nftnl_udata_buf* ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, r.comment.c_str());
        nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
                            nftnl_udata_buf_len(ud));
        nftnl_udata_buf_free(ud);
      }
      nlmsghdr* rh = nftnl_rule_nlmsg_build_hdr(b.buffer(), NFT_MSG_NEWRULE, kFamily,
                                                NLM_F_APPEND | NLM_F_CREATE, b.seq++);
      nftnl_rule_nlmsg_build_payload(rh, rule);
      nftnl_rule_free(rule);
      b.next();
    }
  }
  // The last message asks for the acknowledgement: the kernel reports every refused message
  // anyway, and aborts the whole batch then; one answer for a batch of thousands of messages
  // keeps the receive buffer from overflowing.
  b.last->nlmsg_flags |= NLM_F_ACK;
  b.acked_seq = b.last->nlmsg_seq;
  nftnl_batch_end(b.buffer(), b.seq++);
  b.next();
}

// Enters the named network namespace for the rest of this process (a one-shot command).
bool enter_netns(const std::string& name, std::string& error) {
  const std::string path = "/var/run/netns/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "no network namespace " + name + " (" + std::strerror(errno) + ")";
    return false;
  }
  const int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) {
    error = "cannot enter the network namespace " + name + " (" + std::strerror(errno) + ")";
    return false;
  }
  return true;
}

}  // namespace

ApplyResult apply(const Ruleset& ruleset, const std::string& netns) {
  ApplyResult result;
  if (!netns.empty() && !enter_netns(netns, result.error)) return result;
  Batch b;
  build(ruleset, b);
  std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> nl(mnl_socket_open(NETLINK_NETFILTER),
                                                       mnl_socket_close);
  if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    result.error = std::string("cannot open a netfilter netlink socket: ") + std::strerror(errno);
    return result;
  }
  const int pages = nftnl_batch_iovec_len(b.batch);
  if (pages > IOV_MAX) {
    result.error = "the batch is larger than one send can carry";
    return result;
  }
  std::vector<iovec> iov(static_cast<size_t>(pages));
  nftnl_batch_iovec(b.batch, iov.data(), static_cast<uint32_t>(pages));
  for (const auto& v : iov) result.batch_bytes += v.iov_len;
  result.messages = b.messages;
  // The batch goes in one send, so the socket's buffer must hold it whole (FORCE: past the
  // system's default limit, as root may).
  const int fd = mnl_socket_get_fd(nl.get());
  const int size = static_cast<int>(std::min<size_t>(result.batch_bytes + 4096, 1U << 30));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (::sendmsg(fd, &msg, 0) < 0) {
    result.error = std::string("cannot send the batch: ") + std::strerror(errno);
    return result;
  }
  // The answers: a refusal (error != 0) of any message, or the last message's acknowledgement.
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      result.error = "the kernel did not answer the batch";
      return result;
    }
    const ssize_t n = mnl_socket_recvfrom(nl.get(), buffer.data(), buffer.size());
    if (n < 0) {
      result.error = std::string("cannot read the kernel's answer: ") + std::strerror(errno);
      return result;
    }
    auto* h = reinterpret_cast<nlmsghdr*>(buffer.data());
    auto left = static_cast<int>(n);
    while (mnl_nlmsg_ok(h, left)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (err->error != 0) {
          result.error =
              std::string("the kernel refused the ruleset: ") + std::strerror(-err->error);
          return result;
        }
        if (err->msg.nlmsg_seq == b.acked_seq) {
          result.ok = true;
          return result;
        }
      }
      h = mnl_nlmsg_next(h, &left);
    }
  }
}

}  // namespace vfw::nft
