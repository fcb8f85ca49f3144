// Every way a packet can be dropped, in one list.
//
// The X-macro generates the enum, the stable identifier used in JSON traces and tests, and the
// label `display firewall statistics system discard` prints. Adding a reason here adds its counter
// everywhere; there is no drop without a reason.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vfw {

// X(enum, id, display label)
#define VFW_DROP_REASONS(X)                                                               \
  X(None, "none", "None")                                                                 \
  X(IpTooShort, "ip-too-short", "IP header too short")                                    \
  X(IpBadVersion, "ip-bad-version", "IP version error")                                   \
  X(IpBadHeaderLength, "ip-bad-header-length", "IP header length error")                  \
  X(IpBadTotalLength, "ip-bad-total-length", "IP total length error")                     \
  X(IpTruncated, "ip-truncated", "IP packet truncated")                                   \
  X(IpBadChecksum, "ip-bad-checksum", "IP header checksum error")                         \
  X(IpBadOptions, "ip-bad-options", "IP option error")                                    \
  X(L4Truncated, "l4-truncated", "Transport header truncated")                            \
  X(TcpBadHeaderLength, "tcp-bad-header-length", "TCP header length error")               \
  X(TtlExpired, "ttl-expired", "TTL expired")                                             \
  X(FragmentNoSession, "fragment-no-session", "Fragment without first fragment")          \
  X(FragmentTableFull, "fragment-table-full", "Fragment table full")                      \
  X(FragmentMalformed, "fragment-malformed", "Fragment length error")                     \
  X(FragmentOverlap, "fragment-overlap", "Fragment overlap")                              \
  X(FragmentTooLong, "fragment-too-long", "Reassembled packet too long")                  \
  X(ReassemblyTableFull, "reassembly-table-full", "Reassembly table full")                \
  X(ReassemblyTimeout, "reassembly-timeout", "Reassembly timeout")                        \
  X(TcpFirstNotSyn, "tcp-first-packet-not-syn", "Session create fail (not SYN)")          \
  X(NoRoute, "no-route", "Fib miss")                                                      \
  X(BlackholeRoute, "blackhole-route", "Route to NULL0")                                  \
  X(InterfaceNoZone, "interface-not-in-zone", "Interface not in a security zone")         \
  X(UnknownInterface, "unknown-interface", "Input interface does not exist")              \
  X(PolicyDeny, "policy-deny", "Security policy deny")                                    \
  X(DefaultPolicyDeny, "default-policy-deny", "Default security policy deny")             \
  X(ServiceManageDeny, "service-manage-deny", "Service-manage deny")                      \
  X(NatPoolExhausted, "nat-pool-exhausted", "NAT port allocation fail")                   \
  X(SessionTableFull, "session-table-full", "Session table full")                         \
  X(ConnectionLimit, "connection-limit", "Traffic policy connection limit")               \
  X(FragmentNeeded, "fragment-needed-df", "Packet too big (DF set)")                      \
  X(IpsecNoSa, "ipsec-sa-negotiating", "IPSec SA not yet negotiated")                     \
  X(IpsecEncapsulationFailed, "ipsec-encapsulation-failed", "IPSec encapsulation failed") \
  X(IpsecUnknownSpi, "ipsec-unknown-spi", "IPSec SPI not found")                          \
  X(IpsecMalformed, "ipsec-malformed", "IPSec packet length error")                       \
  X(IpsecReplay, "ipsec-replay", "IPSec anti-replay")                                     \
  X(IpsecIcvFailure, "ipsec-icv-failure", "IPSec authentication failed")                  \
  X(IpsecBadPadding, "ipsec-bad-padding", "IPSec padding error")                          \
  X(IpsecSelectorMismatch, "ipsec-selector-mismatch", "IPSec post-check (flow mismatch)") \
  X(IpsecPlaintextProtected, "ipsec-plaintext-protected", "IPSec pre-check (plain text)")

enum class DropReason : uint8_t {
#define VFW_ENUM(e, id, label) e,
  VFW_DROP_REASONS(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kDropReasonIds = {
#define VFW_ID(e, id, label) std::string_view{id},
    VFW_DROP_REASONS(VFW_ID)
#undef VFW_ID
};

inline constexpr std::array kDropReasonLabels = {
#define VFW_LABEL(e, id, label) std::string_view{label},
    VFW_DROP_REASONS(VFW_LABEL)
#undef VFW_LABEL
};

inline constexpr size_t kDropReasonCount = kDropReasonIds.size();

constexpr std::string_view drop_reason_id(DropReason r) {
  return kDropReasonIds[static_cast<size_t>(r)];
}
constexpr std::string_view drop_reason_label(DropReason r) {
  return kDropReasonLabels[static_cast<size_t>(r)];
}

// Per-reason counters, as the device keeps them for `display firewall statistics system discard`.
struct DropCounters {
  std::array<uint64_t, kDropReasonCount> count{};
  void add(DropReason r) { ++count[static_cast<size_t>(r)]; }
  uint64_t operator[](DropReason r) const { return count[static_cast<size_t>(r)]; }
};

}  // namespace vfw
