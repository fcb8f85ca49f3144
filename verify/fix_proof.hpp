// vfw diagnose with its advice proven. A fix is a claim, and vfw can test it: before a fix is
// printed, its lines are typed into a copy of the configuration of the device it names, through
// the same command engine a person types into (a fix vfw's own CLI refuses is never printed), and
// the diagnosis runs again on the fixed copies; with the peer's configuration, the two gateways
// also carry the flow through a lab (a host on each side, a carrier between them). A fix is
// printed only when its item then passes, no item that passed fails, and (once nothing is left
// failing) the lab delivers the flow; otherwise the finding keeps no fix and says what was tried
// and why it was not enough. When nothing fails, the lab runs anyway: a pair of configurations
// the lab cannot carry the flow through never diagnoses as all passed.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "cli/fix_typing.hpp"
#include "config/model.hpp"
#include "diagnose/diagnosis.hpp"

namespace vfw::verify {

Expected<diagnose::Diagnosis> diagnose_proven(const config::Config& local,
                                              const config::Config* peer,
                                              const diagnose::DiagnoseOptions& options);

// The lines of a fix typed into a copy of a configuration, from user view (cli/fix_typing.hpp).
using cli::apply_fix;

// The flow of options through a lab of the two gateways: the source host behind local, the
// destination host behind peer, a carrier router between their tunnel interfaces (at the next
// hops they route to). delivered: the packet (after IKE, a second attempt) reached the
// destination, and for ICMP the echo reply came back; and the same flow started from the
// destination's side did too. what: one line saying how it went.
struct LabOutcome {
  bool built = false;  // false: the two configurations do not describe a lab (what says why)
  bool delivered = false;
  std::string what;
};
LabOutcome carry_through_lab(const config::Config& local, const config::Config& peer,
                             const diagnose::DiagnoseOptions& options);

}  // namespace vfw::verify
