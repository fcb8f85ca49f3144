// What packet-trace shows: one step per stage that ran, then the result.
//
// Stages fill a step only when the packet is traced (PacketContext::trace is set); the strings
// are built then and never on the untraced path.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "packet/drop_reason.hpp"
#include "packet/packet.hpp"
#include "pipeline/trace_vocabulary.hpp"

namespace vfw {

// A packet's headers as a program reads them: the JSON twin (`headers`, `leaving_headers`) of the
// lines the text trace prints.
struct TraceHeaders {
  bool parsed = false;  // false: not an IPv4 packet vfw can read (the JSON has null)
  PacketInfo info;
};
TraceHeaders trace_headers(std::span<const uint8_t> ip);
// The flow in a line: "tcp 1.1.1.10:2048 -> 8.8.8.8:80", "icmp 1.1.1.1 -> 10.2.1.2 type 8 code 0
// id 2048", "esp 1.1.1.1 -> 2.1.1.1"; empty when not parsed.
std::string headers_line(const TraceHeaders& h);

struct TraceChange {
  std::string field;  // "source", "destination"
  std::string before;
  std::string after;
};

// The packet's flow and where it stands, as a stage found it and as it left it: what the
// explanations (diagnose/trace_explainer.hpp) reason about without parsing the step's text.
struct TraceFlow {
  uint8_t proto = 0;
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;  // ICMP: type << 8 | code
  uint16_t in_if = 0xffff;
  uint16_t out_if = 0xffff;
  uint8_t in_zone = 0xff;
  uint8_t out_zone = 0xff;
  bool to_device = false;
  uint32_t length = 0;  // the IP packet's bytes
};

// Where the configuration's intent and the packet's fate disagree: what happened, why it matters,
// and the fix as the lines to type (from the user view, `system-view` first), or none when the
// fix is not a configuration line.
struct TraceWarning {
  std::string message;
  std::vector<std::string> fix;
  // How the fix was proven (device/trace_fix_proof.hpp): what the packet did when traced again
  // with it, or "not shown: ..." with the fix that was tried and why it was not enough (fix is
  // then empty). Empty when no proof ran.
  std::string proof;
  // A fix that changes what the sender sends (tcp adjust-mss) is proven on the packet it makes
  // the sender send: this one cut to this IP length. 0: on this packet as it is.
  uint32_t proof_length = 0;
};

struct TraceStep {
  size_t number = 0;  // the stage's place in the pipeline, from 1
  StageId stage = StageId::Ingress;
  Outcome result = Outcome::Pass;
  std::string matched;  // the rule, route or entry that decided, as a sentence
  MatchedKind matched_kind = MatchedKind::None;  // and as an object: its kind and name
  std::string matched_name;
  std::vector<TraceChange> changes;
  std::vector<std::string> info;
  DropReason drop = DropReason::None;
  std::vector<TraceWarning> warnings;
  TraceFlow before;  // as the stage found the packet
  TraceFlow after;   // as the stage left it
};

enum class Action : uint8_t { Forward, Drop, ToDevice };
std::string_view action_name(Action a);

struct TraceResult {
  Action action = Action::Drop;
  std::string input;
  std::string output;
  // The packet as it left, after every translation ("tcp 1.1.1.10:2048 -> 8.8.8.8:80"; the outer
  // header when it left in a tunnel). Filled by the device from the bytes it sends; empty when the
  // packet did not leave.
  std::string leaving;
  TraceHeaders leaving_headers;  // the same, for a program
  DropReason drop = DropReason::None;
  // Not dropped but held: the IPSec stage keeps it while IKE negotiates and sends it through the
  // tunnel once it is up (drop is ipsec-sa-negotiating, for the counters and the JSON).
  bool held = false;
  std::vector<TraceWarning> warnings;  // every step's warnings again, beside the action
};

struct Trace {
  std::string device;
  std::string packet;    // one-line description of the packet as it arrived
  TraceHeaders headers;  // the same, for a program (Device fills it from the bytes)
  std::vector<TraceStep> steps;
  TraceResult result;
  TraceStep& add(StageId stage, Outcome outcome) {
    TraceStep& step = steps.emplace_back();
    step.stage = stage;
    step.result = outcome;
    return step;
  }
};

// The version of docs/schemas/packet-trace.schema.json the JSON follows (its "version" key and the
// schema's $id): raised when a key changes meaning or goes; new keys come with it too, since the
// schema admits no key it does not name.
inline constexpr int kTraceJsonVersion = 2;

// Text in the style users know from packet-tracer; JSON as documented in docs/packet-trace.md,
// one line, and as a value for the outputs that embed traces (lab trace).
std::string format_trace_text(const Trace& t);
// One step in a line: "stage 7 security-policy: permit, rule trust_to_untrust".
std::string step_summary(const TraceStep& s);
std::string format_trace_json(const Trace& t);
nlohmann::ordered_json trace_json(const Trace& t);
// Any of vfw's JSON outputs as the line it prints: compact, keys in the order they were made,
// bytes that are not UTF-8 replaced by U+FFFD so that the output is always valid JSON.
std::string json_text(const nlohmann::ordered_json& j);

}  // namespace vfw
