// A stage of the forwarding pipeline and the packet context the stages share.
//
// A stage reads the compiled snapshot and the packet, acts, and returns a verdict; when the packet
// is traced it records one step. No I/O, no allocation on the untraced path, no exceptions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "packet/packet.hpp"
#include "pipeline/runtime.hpp"
#include "pipeline/snapshot.hpp"
#include "pipeline/trace.hpp"

namespace vfw {

enum class Verdict : uint8_t {
  Continue,  // on to the next stage
  FastPath,  // a session hit: on to the stages that also run for established flows
  Drop,      // ctx.drop says why
  ToDevice,  // addressed to the firewall itself
};

// A packet the pipeline sends besides (or instead of) the one it was given: fragments, ICMP errors.
struct EmittedPacket {
  uint16_t interface = 0;
  std::vector<uint8_t> bytes;
  // A fragment of the packet being forwarded, which leaves in its place: toward the route's next
  // hop out of interface, as the packet itself would have (the others are the device's own).
  bool forwarded = false;
};

struct PacketContext {
  // The packet, rewritten in place as the stages translate it.
  uint8_t* ip = nullptr;
  uint32_t length = 0;
  uint32_t capacity = 0;  // bytes the buffer at ip can hold: ESP encapsulation grows the packet
  PacketInfo info;

  const Snapshot* snap = nullptr;
  Runtime* rt = nullptr;
  uint32_t now = 0;                               // seconds
  Trace* trace = nullptr;                         // set only when the packet is traced
  std::vector<EmittedPacket>* emitted = nullptr;  // fragments and ICMP errors, when wanted

  uint16_t in_if = kNoInterface;
  uint8_t in_zone = kNoZone;
  // The device sent it itself (ping, tracert): it enters from the local zone, in_if naming the
  // interface its source address belongs to, and its TTL is the one it was given.
  bool from_device = false;
  FlowKey original;            // the flow as it arrived
  uint64_t original_hash = 0;  // SessionTable::hash(original), computed once (arrive())
  FlowKey current;             // the flow as translated so far

  // The packet's flow as it arrives (at ingress, or out of a tunnel): nothing translated yet.
  void arrive(const FlowKey& key) {
    original = key;
    original_hash = SessionTable::hash(key);
    current = key;
  }

  // Session stage
  bool has_session = false;
  SessionHit hit;
  // A first fragment (more to come, offset 0) as the session stage saw it, and its
  // identification: egress remembers the new session for the later fragments under it, when
  // ctx.info may describe the ESP packet the fragment became.
  bool first_fragment = false;
  uint16_t fragment_id = 0;
  // The packet's length as the session stage saw it (after decapsulation, before encapsulation):
  // what a session's byte counters count, for its first packet and every later one alike.
  uint32_t counted_length = 0;

  // Route stage
  uint16_t out_if = kNoInterface;
  uint8_t out_zone = kNoZone;
  Ipv4 next_hop;
  bool to_device = false;

  // Egress stage: the packet left as its fragments (in emitted); it is not sent itself.
  bool sent_as_fragments = false;

  // Policy and NAT decisions for the session created at egress
  uint16_t rule = kDefaultRule;
  // The reverse server-map entry that matched: the source is translated to its global address
  // at the snat stage, after the security policy (which sees the server's own address, as the
  // device's does for any source NAT).
  const ServerMapEntry* server_map_reverse = nullptr;
  uint8_t session_flags = 0;  // kSessionSnatPort / kSessionSnatAddress
  uint16_t pool = 0;
  // What the session will count under traffic-policy's connection limits (SessionCounts kinds,
  // 0: nothing), and the slot of the rule that admitted it.
  uint8_t counted_kinds = 0;
  uint16_t counted_slot = 0;

  DropReason drop = DropReason::None;
  uint8_t stage_index = 0;  // the stage running now (the trace numbers its steps by it)

  Verdict drop_with(DropReason r) {
    drop = r;
    return Verdict::Drop;
  }
  FlowFields fields() const {
    return FlowFields{in_zone,       out_zone,      Ipv4{current.src}, Ipv4{current.dst},
                      current.proto, current.sport, current.dport};
  }
};

// The step a stage records for a traced packet. Every call does nothing for an untraced one, and
// a text given as a callable (`[&] { return "..." + name; }`) is built only when traced, so the
// data path builds no strings; a literal costs nothing either. drop() is the one way a stage
// drops: the reason counted, and recorded with its explanation when traced.
class StepRecorder {
 public:
  StepRecorder(PacketContext& ctx, StageId stage, Outcome outcome)
      : ctx_(ctx), step_(ctx.trace != nullptr ? &ctx.trace->add(stage, outcome) : nullptr) {
    if (step_ != nullptr) {
      step_->number = size_t{ctx.stage_index} + 1;
      step_->before = flow_of(ctx);
    }
  }
  ~StepRecorder() {
    if (step_ != nullptr) step_->after = flow_of(ctx_);
  }
  StepRecorder(const StepRecorder&) = delete;
  StepRecorder& operator=(const StepRecorder&) = delete;
  StepRecorder(StepRecorder&&) = delete;
  StepRecorder& operator=(StepRecorder&&) = delete;

  explicit operator bool() const { return step_ != nullptr; }
  TraceStep* step() const { return step_; }  // for translate_to()

  void result(Outcome outcome) const {
    if (step_ != nullptr) step_->result = outcome;
  }
  // What decided, as the sentence the text trace prints and as the object's kind and name.
  template <typename Name, typename Text>
  void matched(MatchedKind kind, Name&& name, Text&& text) const {
    if (step_ != nullptr) {
      step_->matched = text_of(std::forward<Text>(text));
      step_->matched_kind = kind;
      step_->matched_name = text_of(std::forward<Name>(name));
    }
  }
  template <typename Text>
  void note(Text&& text) const {
    if (step_ != nullptr) step_->info.push_back(text_of(std::forward<Text>(text)));
  }
  template <typename Before, typename After>
  void change(std::string_view field, Before&& before, After&& after) const {
    if (step_ != nullptr) {
      step_->changes.push_back({std::string(field), text_of(std::forward<Before>(before)),
                                text_of(std::forward<After>(after))});
    }
  }
  // Drops the packet for reason; why explains it in the trace. outcome is the step's result
  // (Drop, or Deny for the security policy).
  template <typename Why>
  Verdict drop(DropReason reason, Why&& why, Outcome outcome = Outcome::Drop) const {
    if (step_ != nullptr) {
      step_->result = outcome;
      step_->drop = reason;
      step_->info.push_back(text_of(std::forward<Why>(why)));
    }
    return ctx_.drop_with(reason);
  }
  Verdict drop(DropReason reason) const {
    if (step_ != nullptr) {
      step_->result = Outcome::Drop;
      step_->drop = reason;
    }
    return ctx_.drop_with(reason);
  }

 private:
  template <typename Text>
  static std::string text_of(Text&& text) {
    if constexpr (std::is_invocable_v<Text>) {
      return std::string(text());
    } else {
      return std::string(std::forward<Text>(text));
    }
  }
  static TraceFlow flow_of(const PacketContext& c) {
    return TraceFlow{c.current.proto, c.current.src, c.current.dst, c.current.sport,
                     c.current.dport, c.in_if,       c.out_if,      c.in_zone,
                     c.out_zone,      c.to_device,   c.length};
  }
  PacketContext& ctx_;
  TraceStep* step_;
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual StageId id() const = 0;
  std::string_view name() const { return stage_id(id()); }
  // Whether packets of an established session pass this stage too (ipsec and egress do).
  virtual bool on_fast_path() const { return false; }
  // Whether, under snap, the stage does nothing to any untraced packet (no tcp adjust-mss
  // anywhere, no ipsec policy applied): the pipeline then skips it for them.
  virtual bool idle(const Snapshot& /*snap*/) const { return false; }
  // Whether the stage may run over a whole batch before the next stage sees any of it: it reads
  // no session state and says only Continue or Drop (ingress, ipsec-inbound). Such stages lead
  // the pipeline; from the first other stage on, a batch goes packet by packet, since a first
  // packet's session must exist before the next packet of its flow looks for it.
  virtual bool batch_first() const { return false; }
  // Runs the stage over every packet of the batch still going (drop None), each numbered index
  // for the trace. The default calls process() for each; a stage overrides it with the same loop
  // where the compiler can then see into process() (one indirect call a batch, not a packet).
  virtual void process_batch(std::span<PacketContext> batch, uint8_t index) const {
    for (PacketContext& ctx : batch) {
      if (ctx.drop != DropReason::None) continue;
      ctx.stage_index = index;
      process(ctx);
    }
  }
  virtual Verdict process(PacketContext& ctx) const = 0;
};

// The flow a parsed packet belongs to, as the session table keys it.
inline FlowKey flow_key(const PacketInfo& i) {
  return FlowKey{i.src.v, i.dst.v, i.src_port, i.dst_port, i.protocol, {0, 0, 0}};
}

// "10.1.1.2:1", as the device writes an address and port.
std::string endpoint(uint32_t addr, uint16_t port);
std::string flow_text(const FlowKey& k);

// RFC 792 destination unreachable, fragmentation needed (code 4), with the next-hop MTU of
// RFC 1191, addressed to the packet's original source and quoting the packet as it arrived.
std::vector<uint8_t> icmp_fragmentation_needed(const PacketContext& ctx, uint32_t mtu);

// Rewrites the packet so that its flow becomes target, recording the changes in the trace step.
void translate_to(PacketContext& ctx, const FlowKey& target, TraceStep* step);

}  // namespace vfw
