// The trace's Fix: lines are proven before they are shown. A fix the explainer composes is a
// claim: its lines are typed into a copy of the device's configuration through the command engine
// a person types into (a fix the CLI refuses is never shown), and the same packet is traced again
// on a device of the fixed copy. The fix stays when its warning is gone and the packet gets at
// least as far; otherwise the warning keeps no fix and says what was tried and why it was not
// enough. Packet-trace, lab trace and packet-trace next all show proven fixes; vfw diagnose goes
// further (the peer, the lab: verify/fix_proof.hpp).
//
// The command engine is the CLI's, a layer above the device: the program hands it down once
// (set_fix_typist). A program that does not (a fuzzer) shows the explainer's fixes unproven, and
// says so.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/model.hpp"
#include "pipeline/trace.hpp"

namespace vfw {

class Device;

// Lines typed from user view into a copy of a configuration: the fixed copy, or the line refused
// and why.
using FixTypist =
    std::function<Expected<config::Config>(const config::Config&, const std::vector<std::string>&)>;
void set_fix_typist(FixTypist typist);

// Whether traces made now have their fixes proven: a typist is set, and this is not itself the
// trace of a proof (whose copy's own fixes are not proven again).
bool proving_trace_fixes();

// packet: the packet as it arrived at device (before the pipeline changed it), on input;
// from_device: the device's own packet (ping, tracert), sent again as its own. Each fix is tried
// on copies of the device (its configuration, its negotiated SAs; not its sessions): one without
// the fix must meet the same warning (the control), one with it must not, and get the packet at
// least as far.
void prove_trace_fixes(const Device& device, std::span<const uint8_t> packet, uint16_t input,
                       bool from_device, Trace& trace);

}  // namespace vfw
