// A fix typed as a person types it: its lines, from user view, into a copy of a configuration,
// through the command engine. What the trace's and diagnose's proofs type their fixes with
// (device/trace_fix_proof.hpp, verify/fix_proof.hpp): a fix the CLI refuses is never shown.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/model.hpp"

namespace vfw::cli {

// The fixed configuration, or the line the CLI refused with its message. A question the device
// asks (reset ike sa, save) is answered yes, as the person typing the fix would.
Expected<config::Config> apply_fix(const config::Config& cfg,
                                   const std::vector<std::string>& lines);

}  // namespace vfw::cli
