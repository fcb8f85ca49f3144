#include "device/trace_fix_proof.hpp"

#include <algorithm>
#include <limits>

#include "device/device.hpp"
#include "explain/fix_lines.hpp"
#include "ipsec/sad.hpp"
#include "packet/packet.hpp"

namespace vfw {
namespace {

FixTypist& typist() {
  static FixTypist t;
  return t;
}

// Set while a proof traces its copy: that trace's fixes are the copy's, not proven again.
thread_local bool in_proof = false;

// How far a trace got: the number of the step that dropped the packet, or past every step.
size_t reach(const Trace& t) {
  for (const auto& s : t.steps) {
    if (s.drop != DropReason::None && s.drop != DropReason::IpsecNoSa) return s.number;
  }
  return std::numeric_limits<size_t>::max();
}

// The packet shortened to length, its headers and checksums made whole again: the segment a
// sender sends under a smaller MSS.
void cut(std::vector<uint8_t>& ip, uint32_t length) {
  ip.resize(length);
  store16(&ip[2], static_cast<uint16_t>(length));
  const size_t header = size_t{ip[0] & 0x0fU} * 4;
  store16(&ip[10], 0);
  store16(&ip[10], internet_checksum({ip.data(), header}));
  complete_transport_checksum(ip);
}

// What became of the packet, in a few words.
std::string outcome(const Trace& t) {
  if (t.result.held) return "held while IKE negotiates, then sent through the tunnel";
  for (const auto& s : t.steps) {
    if (s.drop != DropReason::None)
      return "dropped at stage " + std::to_string(s.number) + " " + std::string(stage_id(s.stage)) +
             " (" + std::string(drop_reason_id(s.drop)) + ")";
  }
  if (t.result.action == Action::Forward)
    return "forwarded out of " + t.result.output +
           (t.result.leaving.empty() ? std::string() : " as " + t.result.leaving);
  return std::string(action_name(t.result.action));
}

}  // namespace

void set_fix_typist(FixTypist t) {
  typist() = std::move(t);
}

bool proving_trace_fixes() {
  return typist() != nullptr && !in_proof;
}

namespace {

// The packet traced on a device of cfg that holds the original's negotiated SAs (copies, their
// inbound windows empty): as the original would trace it under cfg, sessions aside.
Trace trace_on_copy(const Device& original, const config::Config& cfg,
                    std::span<const uint8_t> packet, uint16_t input, bool from_device,
                    uint32_t proof_length) {
  in_proof = true;
  Device copy(cfg, 1024);
  copy.set_time(original.now());
  for (const auto& sa : original.runtime().sad.all()) {
    if (!sa->fingerprint.empty()) continue;  // a manual SA: the configuration makes it again
    if (auto again = ipsec::copy_of(*sa)) copy.runtime().sad.add_negotiated(std::move(*again));
  }
  copy.runtime().sad.renumber_negotiated(copy.config());
  Trace t;
  std::vector<uint8_t> bytes(packet.begin(), packet.end());
  if (proof_length != 0 && proof_length < bytes.size()) cut(bytes, proof_length);
  if (from_device) {
    copy.originate(bytes, &t);
  } else {
    auto length = static_cast<uint32_t>(bytes.size());
    bytes.resize(bytes.size() + 256);  // room for an encapsulation
    copy.receive(bytes.data(), length, static_cast<uint32_t>(bytes.size()), input, &t);
  }
  in_proof = false;
  return t;
}

// Whether t offers fix again at stage: the change did not reach the cause.
bool offers(const Trace& t, StageId stage, const std::vector<std::string>& fix) {
  return std::any_of(t.steps.begin(), t.steps.end(), [&](const TraceStep& s) {
    return s.stage == stage && std::any_of(s.warnings.begin(), s.warnings.end(),
                                           [&](const TraceWarning& w) { return w.fix == fix; });
  });
}

}  // namespace

void prove_trace_fixes(const Device& original, std::span<const uint8_t> packet, uint16_t input,
                       bool from_device, Trace& trace) {
  if (!proving_trace_fixes()) return;
  for (auto& step : trace.steps) {
    for (auto& w : step.warnings) {
      if (w.fix.empty()) continue;
      const std::vector<std::string> lines = std::exchange(w.fix, {});
      const std::string words = explain::fix_words(lines);
      const auto fixed = typist()(original.config(), lines);
      if (!fixed) {
        w.proof = "not shown: " + words + ": vfw's CLI refuses " + fixed.error().message;
        continue;
      }
      // The control: the same packet on a copy without the fix must meet the same warning, or
      // the copy does not stand for the device (the packet rode a session the copy lacks).
      const Trace control =
          trace_on_copy(original, original.config(), packet, input, from_device, 0);
      if (!offers(control, step.stage, lines)) {
        w.proof = "not shown: " + words + ": a copy of the device does not meet this packet as " +
                  "the device did (" + outcome(control) + "), so the fix cannot be tried on it";
        continue;
      }
      const Trace again =
          trace_on_copy(original, *fixed, packet, input, from_device, w.proof_length);
      const bool still = offers(again, step.stage, lines);
      if (still || reach(again) < reach(control)) {
        w.proof = "not shown: " + words + ": traced again with it on a copy of the " +
                  "configuration, the packet is " + outcome(again) +
                  (still ? ", with the same warning" : ", stopped sooner");
        continue;
      }
      w.fix = lines;
      w.proof = "traced again with it on a copy of the configuration: " + outcome(again);
    }
  }
}

}  // namespace vfw
