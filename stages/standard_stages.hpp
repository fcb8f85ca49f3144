// The USG6000's forwarding order, as data: the stages the device runs, in its order (seed document,
// "IPSec Packet Forwarding Process"; docs/forwarding-order.md). The one place that knows every
// stage; the pipeline runs whatever list it is given.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/stage.hpp"

namespace vfw {

std::vector<std::unique_ptr<Stage>> standard_stages();

}  // namespace vfw
