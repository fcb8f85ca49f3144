// What a trace means: after the pipeline has traced a packet, find where the configuration's intent
// and the packet's fate disagree (a NAT that takes a flow out of its IPSec policy, a rule shadowed
// by a broader one above it, no route or the wrong interface towards a tunnel, the interzone
// policy or the local zone's rules in the way of the tunnel, DF packets too large for it, ESP
// refused on arrival) and attach a warning, with the fix as lines to type, to the step where it
// happens and to the result.
//
// It reads what the stages recorded (each step's flow before and after) and the compiled
// configuration; it never runs on an untraced packet and changes nothing but the trace.
#pragma once

#include "config/model.hpp"
#include "pipeline/runtime.hpp"
#include "pipeline/snapshot.hpp"
#include "pipeline/trace.hpp"

namespace vfw::explain {

void explain_trace(Trace& trace, const Snapshot& snap, const config::Config& cfg,
                   const Runtime& rt);

}  // namespace vfw::explain
