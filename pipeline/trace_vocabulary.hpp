// The words a trace is made of: the stages, in the device's order, and what a stage did.
//
// Like drop_reason.hpp, one X-macro table per vocabulary generates the enum and the stable id that
// the text and JSON traces print (docs/packet-trace.md lists them, and a test checks the list):
// code compares the enums, never the words.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vfw {

// X(enum, id): every stage of the standard pipeline, in its order (stages/standard_stages.cpp).
#define VFW_TRACE_STAGES(X)            \
  X(Ingress, "ingress")                \
  X(IpsecInbound, "ipsec-inbound")     \
  X(Session, "session")                \
  X(ServerMap, "server-map")           \
  X(Dnat, "dnat")                      \
  X(Route, "route")                    \
  X(SecurityPolicy, "security-policy") \
  X(TrafficPolicy, "traffic-policy")   \
  X(Snat, "snat")                      \
  X(TcpMss, "tcp-mss")                 \
  X(Ipsec, "ipsec")                    \
  X(Egress, "egress")

enum class StageId : uint8_t {
#define VFW_ENUM(e, id) e,
  VFW_TRACE_STAGES(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kStageIds = {
#define VFW_ID(e, id) std::string_view{id},
    VFW_TRACE_STAGES(VFW_ID)
#undef VFW_ID
};

constexpr std::string_view stage_id(StageId s) {
  return kStageIds[static_cast<size_t>(s)];
}

// X(enum, id): a step's result.
#define VFW_STEP_OUTCOMES(X)      \
  X(Valid, "valid")               \
  X(Pass, "pass")                 \
  X(Hit, "hit")                   \
  X(Miss, "miss")                 \
  X(Translated, "translated")     \
  X(NoNat, "no-nat")              \
  X(Skip, "skip")                 \
  X(Forward, "forward")           \
  X(ToDevice, "to-device")        \
  X(Permit, "permit")             \
  X(Deny, "deny")                 \
  X(Drop, "drop")                 \
  X(Bypass, "bypass")             \
  X(Clamped, "clamped")           \
  X(Encapsulated, "encapsulated") \
  X(Decapsulated, "decapsulated")

enum class Outcome : uint8_t {
#define VFW_ENUM(e, id) e,
  VFW_STEP_OUTCOMES(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kOutcomeIds = {
#define VFW_ID(e, id) std::string_view{id},
    VFW_STEP_OUTCOMES(VFW_ID)
#undef VFW_ID
};

constexpr std::string_view outcome_id(Outcome o) {
  return kOutcomeIds[static_cast<size_t>(o)];
}

// X(enum, id): the kind of configuration or state object a step's `matched` names, so that a
// program reads {kind, name} instead of parsing the sentence.
#define VFW_MATCHED_KINDS(X)                          \
  X(None, "none")                                     \
  X(Session, "session")                               \
  X(NatServer, "nat-server")                          \
  X(NatPolicyRule, "nat-policy-rule")                 \
  X(Route, "route")                                   \
  X(SecurityPolicyRule, "security-policy-rule")       \
  X(SecurityPolicyDefault, "security-policy-default") \
  X(ServiceManage, "service-manage")                  \
  X(TrafficPolicyRule, "traffic-policy-rule")         \
  X(IpsecPolicy, "ipsec-policy")                      \
  X(IpsecSa, "ipsec-sa")                              \
  X(Interface, "interface")

enum class MatchedKind : uint8_t {
#define VFW_ENUM(e, id) e,
  VFW_MATCHED_KINDS(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kMatchedKindIds = {
#define VFW_ID(e, id) std::string_view{id},
    VFW_MATCHED_KINDS(VFW_ID)
#undef VFW_ID
};

constexpr std::string_view matched_kind_id(MatchedKind k) {
  return kMatchedKindIds[static_cast<size_t>(k)];
}

}  // namespace vfw
