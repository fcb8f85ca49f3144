// What the negotiation between two configurations will do, read from the configurations alone:
// the seed's six failures (IKE proposal, pre-shared key, remote-address, remote-id, mirrored ACLs,
// IPSec proposal or PFS), in the order the exchanges would meet them, for the IKE version the
// initiator speaks. Each with the reason the device records, the side that finds it, what
// differs (never a key) and the lines to change.
//
// It compares what the IKE engines would be configured with (device/ike_link.hpp's
// ike_engine_config) using the engines' own proposal and selector rules where they are public;
// diagnose/negotiation_in_memory.hpp runs the real exchange, and the tests hold the two to the
// same answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "ike/failure_reason.hpp"

namespace vfw::diagnose {

// One side of the tunnel: its configuration and the ipsec policy entry that protects the traffic.
struct TunnelSide {
  std::string label;  // "FW1", shown in the findings
  const config::Config* config = nullptr;
  const config::IpsecPolicy* entry = nullptr;
  Ipv4 address;  // the tunnel's local address on this side
};

struct NegotiationForecast {
  uint8_t version = 2;                 // the version the initiator starts with
  bool starts = true;                  // false: the initiator cannot start (no remote-address)
  std::optional<ike::Failure> reason;  // the device's reason; none when it comes up
  std::string found_by;                // the label of the side that records it first
  std::string detail;                  // what differs
  std::string fix_on;                  // the label of the side whose lines change
  std::vector<std::string> fix;
  std::vector<std::string> notes;  // what comes up but fails later (a PFS mismatch under IKEv2)
  bool undecidable = false;        // a key sealed by another device: not comparable
};

NegotiationForecast forecast_negotiation(const TunnelSide& initiator, const TunnelSide& responder);

}  // namespace vfw::diagnose
