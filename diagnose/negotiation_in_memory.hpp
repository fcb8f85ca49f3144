// Two devices negotiate for real, in memory: the initiator starts the ipsec policy entry, each
// IKE datagram is handed to the other device until both are quiet. What each side recorded and
// whether the SAs came up is what `vfw diagnose --peer` reports beside its forecast.
#pragma once

#include <string>
#include <vector>

#include "device/device.hpp"

namespace vfw::diagnose {

struct NegotiationResult {
  bool started = false;  // the initiator had something to start
  bool up = false;       // the initiator holds an outbound SA for the entry
  bool rekeyed = false;  // and renewed it at its soft lifetime
  std::vector<ike::ErrorRecord> initiator_errors;
  std::vector<ike::ErrorRecord> responder_errors;
};

// through_first_rekey: then the clocks run on to the first rekey of the SA pair (rekeyed).
NegotiationResult negotiate_in_memory(Device& initiator, Device& responder,
                                      const std::string& policy, uint32_t seq,
                                      bool through_first_rekey = false);

}  // namespace vfw::diagnose
