// What packet-trace shows: one step per stage that ran, then the result.
//
// Stages fill a step only when the packet is traced (PacketContext::trace is set); the strings
// are built then and never on the untraced path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "packet/drop_reason.hpp"

namespace vfw {

struct TraceChange {
  std::string field;  // "source", "destination"
  std::string before;
  std::string after;
};

struct TraceStep {
  size_t number = 0;  // the stage's place in the pipeline, from 1
  std::string stage;
  std::string result;   // hit, miss, permit, deny, translated, forward, drop ...
  std::string matched;  // the rule, route or entry that decided
  std::vector<TraceChange> changes;
  std::vector<std::string> info;
  DropReason drop = DropReason::None;
};

enum class Action : uint8_t { Forward, Drop, ToDevice };
std::string_view action_name(Action a);

struct TraceResult {
  Action action = Action::Drop;
  std::string input;
  std::string output;
  DropReason drop = DropReason::None;
};

struct Trace {
  std::string device;
  std::string packet;  // one-line description of the packet as it arrived
  std::vector<TraceStep> steps;
  TraceResult result;
  TraceStep& add(std::string_view stage, std::string outcome) {
    steps.push_back(
        TraceStep{0, std::string(stage), std::move(outcome), {}, {}, {}, DropReason::None});
    return steps.back();
  }
};

// Text in the style users know from packet-tracer; JSON as documented in docs/packet-trace.md.
std::string format_trace_text(const Trace& t);
std::string format_trace_json(const Trace& t);

}  // namespace vfw
