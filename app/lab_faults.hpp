// The seed's faults, for people who learn: each breaks the built-in lab in one of the ways the
// seed describes (each IKE failure for IKEv1 and IKEv2, the easy-ip rule and the nat server
// catching the tunnel's traffic, a missing route, a missing interzone rule, a carrier that drops
// IKE, a path MTU that drops DF packets, SHA-2 computed differently), by the lines an engineer
// would have typed. `lab fault list` names them without saying what they are; `lab fault reveal`
// does.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "lab/lab.hpp"

namespace vfw {

struct LabFault {
  struct Step {
    std::string node;
    std::vector<std::string> lines;  // typed from the user view
  };
  std::string name;   // f01 ...
  std::string hint;   // what `lab fault list` says: the IKE version the lab runs, no more
  std::string cause;  // what `lab fault reveal` says, in the seed's words
  std::vector<Step> steps;
  std::string link;  // "fw2:GigabitEthernet0/0/2" when the fault is on a link
  std::vector<std::string> drop;
  uint32_t mtu = 0;
  std::string link_change;  // for reveal
};

const std::vector<LabFault>& seed_faults();

// Types the fault's lines on its firewalls and changes its link; why not when a line is refused
// (a lab that is not the seed's).
Status inject(lab::Lab& lab, const LabFault& fault);

}  // namespace vfw
