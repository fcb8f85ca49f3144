// Why a negotiation failed, in one list: the error-info reasons of the seed's records.
//
// Like packet/drop_reason.hpp, the X-macro generates the enum the engines record and the columns
// the device prints with it: the words of `display ike error-info` and the debugging records, the
// list numbers those records carry (IKEv2 and IKEv1; 200 where the seed shows none), and the
// IPSec module's own words for the phase-2 failures it logs. Code compares the enum, never the
// words; the counters of `display ikev2 statistics error` are indexed by it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vfw::ike {

// X(enum, the device's words, IKEv2 list number, IKEv1 list number, the IPSec debug's words)
#define VFW_IKE_FAILURES(X)                                                           \
  X(Phase1ProposalMismatch, "phase1 proposal mismatch", 200, 11, "")                  \
  X(Phase2ProposalOrPfsMismatch, "phase2 proposal or pfs mismatch", 200, 200,         \
    "ipsec proposal or pfs mismatch")                                                 \
  X(AuthenticationFail, "authentication fail", 4, 200, "")                            \
  X(ConfigIdMismatch, "config ID mismatch", 151, 148, "")                             \
  X(PeerAddressMismatch, "peer address mismatch", 107, 200, "")                       \
  X(FlowMismatch, "flow mismatch", 200, 200, "acl mismatch")                          \
  X(ResponderDhMismatch, "responder dh mismatch", 200, 200, "")                       \
  X(InitiatorDhMismatch, "initiator dh mismatch", 200, 200, "")                       \
  X(VersionMismatch, "version mismatch", 200, 200, "")                                \
  X(MalformedMessage, "malformed message", 200, 200, "")                              \
  X(MalformedPayload, "malformed payload", 200, 200, "")                              \
  X(NegotiationRefused, "negotiation refused", 200, 200, "")                          \
  X(ExchangeTimeout, "exchange timeout", 200, 200, "")                                \
  X(DpdTimeout, "dpd timeout", 200, 200, "")                                          \
  X(RekeyFail, "rekey fail", 200, 200, "")                                            \
  /* vfw's own: the device's crypto never lacks an algorithm, an OpenSSL build can */ \
  X(CryptoUnavailable, "crypto unavailable", 200, 200, "")

enum class Failure : uint8_t {
#define VFW_ENUM(e, words, v2, v1, ipsec) e,
  VFW_IKE_FAILURES(VFW_ENUM)
#undef VFW_ENUM
};

struct FailureColumns {
  std::string_view words;
  int list_number_v2;
  int list_number_v1;
  std::string_view ipsec_words;  // "" when the IPSec module logs nothing for it
};

inline constexpr std::array kFailures = {
#define VFW_ROW(e, words, v2, v1, ipsec) FailureColumns{words, v2, v1, ipsec},
    VFW_IKE_FAILURES(VFW_ROW)
#undef VFW_ROW
};

inline constexpr size_t kFailureCount = kFailures.size();

constexpr const FailureColumns& columns(Failure f) {
  return kFailures[static_cast<size_t>(f)];
}
// The device's words: what error-info, the logs and the JSON print.
constexpr std::string_view failure_words(Failure f) {
  return columns(f).words;
}
constexpr int list_number(Failure f, uint8_t version) {
  return version == 1 ? columns(f).list_number_v1 : columns(f).list_number_v2;
}

}  // namespace vfw::ike
