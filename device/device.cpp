#include "device/device.hpp"

#include "device/own_traffic.hpp"
#include "device/trace_fix_proof.hpp"
#include "explain/trace_explainer.hpp"

#include "stages/ipsec_stage.hpp"
#include "stages/standard_stages.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <unordered_map>

namespace vfw {

Device::Device(config::Config cfg, uint32_t session_capacity)
    : config_(std::move(cfg)), runtime_(session_capacity), pipeline_(standard_stages()) {
  apply();
  settle();  // a new device is about to run: its first packet should not pay for compiling
}

int64_t Device::wall_clock_ms() const {
  if (fixed_wall_clock_ms_ >= 0) return fixed_wall_clock_ms_;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Device::timestamp() const {
  const int64_t ms = wall_clock_ms();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

void Device::settle() const {
  if (!dirty_) return;
  dirty_ = false;
  ++generation_;
  auto next = compile(config_, links_down_);
  next->idle_stages = pipeline_.idle_stages(*next);
  // Hit counters belong to rules, not to snapshots: carry them over by rule name.
  // (One pass each way: the CLI applies after every line, with up to thousands of rules.)
  std::unordered_map<std::string_view, uint64_t> by_name;
  if (snapshot_) {
    const auto& old_rules = snapshot_->security.rules();
    for (size_t j = 0; j < old_rules.size() && j < runtime_.security_hits.size(); ++j) {
      by_name[old_rules[j].name] = runtime_.security_hits[j];
    }
  }
  std::vector<uint64_t> hits(next->security.rules().size(), 0);
  for (size_t i = 0; i < hits.size(); ++i) {
    auto it = by_name.find(next->security.rules()[i].name);
    if (it != by_name.end()) hits[i] = it->second;
  }
  // The connection limits' counts belong to rules too: each rule keeps its slot by name.
  std::vector<std::string> limiting;
  for (const auto& r : next->traffic.rules()) limiting.push_back(r.name);
  runtime_.traffic_slots = runtime_.session_counts.bind(limiting);
  snapshot_ = std::move(next);
  runtime_.security_hits = std::move(hits);
  ike_.configure(config_, now_ms());
  // SAs whose policy went with the change: out of the SAD now; the others follow their entry.
  ike_.drain(runtime_.sad, now(), timestamp(), config_.ipsec_anti_replay_window);
  runtime_.sad.renumber_negotiated(config_);
}

void Device::apply() {
  dirty_ = true;
  sa_errors_ = runtime_.sad.sync_manual(config_, now_);
}

uint64_t Device::now_ms() const {
  if (!wall_start_) return uint64_t{now_} * 1000;
  const auto elapsed = std::chrono::steady_clock::now() - *wall_start_;
  return uint64_t{now_} * 1000 +
         static_cast<uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
}

void Device::run_ike() {
  for (const uint32_t index : runtime_.ike_acquires) ike_.acquire(index, now_ms());
  runtime_.ike_acquires.clear();
  ike_.drain(runtime_.sad, now(), timestamp(), config_.ipsec_anti_replay_window);
  if (!runtime_.held.empty()) release_held();
}

// The session a held packet opened, still its own (not aged out and reused by another flow):
// seen now, so that it outlives the wait.
void Device::touch_held_session(const Runtime::HeldPacket& h) {
  if (h.session >= runtime_.sessions.capacity()) return;
  Session& s = runtime_.sessions.at(h.session);
  if (s.fwd == h.flow) s.last_seen = std::max(s.last_seen, now());
}

void Device::release_held() {
  auto& held = runtime_.held;
  for (auto it = held.begin(); it != held.end();) {
    ipsec::Sa* esp = runtime_.sad.outbound(it->policy_index, ipproto::kEsp);
    ipsec::Sa* ah = runtime_.sad.outbound(it->policy_index, ipproto::kAh);
    if (esp == nullptr && ah == nullptr) {
      // Still negotiating; given up after a while (a failed negotiation leaves no SA at all).
      // Meanwhile its session stays: the packet will still leave under it.
      if (now() - it->since > kHoldSeconds) {
        it = held.erase(it);
      } else {
        touch_held_session(*it);
        ++it;
      }
      continue;
    }
    std::vector<uint8_t> packet = std::move(it->bytes);
    const uint16_t out = it->out_if;
    const bool forwarded = it->forwarded;
    touch_held_session(*it);
    it = held.erase(it);
    auto length = static_cast<uint32_t>(packet.size());
    packet.resize(packet.size() + 256);  // room for the encapsulation
    if (protect_outbound(esp, ah, packet.data(), length, static_cast<uint32_t>(packet.size()),
                         runtime_.next_ip_id++, forwarded) != DropReason::None)
      continue;
    packet.resize(length);
    // Queued, never sent from here: the negotiation's last message (IKEv1's quick mode 3, which
    // the responder waits for before it installs its inbound SA) is queued by the same drain
    // and must leave first, or the peer drops this packet as `IPSec SPI not found`. Whoever
    // carries the device's traffic sends its IKE datagrams, then take_released().
    if (released_.size() < Runtime::kMaxHeld) released_.push_back({out, std::move(packet)});
  }
}

void Device::ike_receive(const ike::Endpoint& local, const ike::Endpoint& remote,
                         std::span<const uint8_t> message) {
  settle();
  ike_.receive(local, remote, message, now_ms());
  run_ike();
}

void Device::ike_tick() {
  settle();
  // Traffic-based lifetimes (sa duration traffic-based): the data plane counts the bytes, IKE
  // renews the SA at 90% and deletes it at 100%.
  for (const auto& sa : runtime_.sad.all()) {
    if (!sa->fingerprint.empty() || sa->lifetime_kilobytes == 0) continue;
    const uint64_t kb = sa->bytes / 1024;
    if (kb >= sa->lifetime_kilobytes) {
      ike_.traffic_lifetime(sa->spi, sa->inbound, true);
    } else if (kb >= uint64_t{sa->lifetime_kilobytes} * 9 / 10) {
      ike_.traffic_lifetime(sa->spi, sa->inbound, false);
    }
  }
  ike_.tick(now_ms());
  run_ike();
  // Sessions age as on the device, a bounded slice of the table each tick (the lab ticks every
  // second, vfw run five times a second): the whole table every few seconds.
  runtime_.age_slice(now(), kAgingSlice);
}

std::vector<ike::Datagram> Device::ike_take_datagrams() {
  settle();
  return ike_.take_datagrams();
}

void Device::ike_reset(bool children_only) {
  settle();
  if (children_only) {
    ike_.delete_children(now_ms());
  } else {
    ike_.delete_all(now_ms());
  }
  run_ike();
}

bool Device::ike_initiate(const std::string& policy, uint32_t seq) {
  settle();
  const auto& children = ike_.engine().config().children;
  for (size_t i = 0; i < children.size(); ++i) {
    if (children[i].policy == policy && children[i].seq == seq) {
      const bool started = ike_.initiate(i, now_ms());
      run_ike();
      return started;
    }
  }
  return false;
}

uint32_t Device::now() const {
  if (!wall_start_) return now_;
  const auto elapsed = std::chrono::steady_clock::now() - *wall_start_;
  return now_ +
         static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
}

void Device::follow_wall_clock() {
  now_ = now();
  wall_start_ = std::chrono::steady_clock::now();
}

size_t Device::reset_sessions(const SessionFilter& filter) {
  refresh_sessions();
  std::vector<uint32_t> doomed;
  runtime().sessions.for_each([&](uint32_t i, const Session& s) {
    if (filter.source && s.fwd.src != filter.source->v) return;
    if (filter.destination && s.fwd.dst != filter.destination->v) return;
    if (filter.protocol && s.fwd.proto != *filter.protocol) return;
    doomed.push_back(i);
  });
  for (uint32_t i : doomed) {
    if (session_source_.remove) session_source_.remove(runtime_.sessions.at(i));
    runtime_.remove_session(i);
  }
  return doomed.size();
}

void Device::replace(config::Config cfg) {
  config_ = std::move(cfg);
  apply();
}

Action Device::receive(uint8_t* packet, uint32_t& length, uint32_t capacity, uint16_t interface,
                       Trace* trace, std::vector<EmittedPacket>* emitted) {
  return process(packet, length, capacity, interface, trace, emitted, false);
}

Action Device::process(uint8_t* packet, uint32_t& length, uint32_t capacity, uint16_t interface,
                       Trace* trace, std::vector<EmittedPacket>* emitted, bool from_device) {
  PacketContext ctx;
  ctx.ip = packet;
  ctx.length = length;
  ctx.capacity = capacity;
  settle();
  // A traced packet's fixes are proven on the packet as it arrived (the pipeline rewrites it).
  std::vector<uint8_t> as_arrived;
  if (trace != nullptr && proving_trace_fixes()) as_arrived.assign(packet, packet + length);
  ctx.snap = snapshot_.get();
  ctx.rt = &runtime_;
  ctx.now = now();
  ctx.trace = trace;
  ctx.emitted = emitted;
  ctx.in_if = interface;
  ctx.from_device = from_device;
  if (trace != nullptr) {
    trace->device = config_.sysname;
    trace->headers = trace_headers({packet, length});
  }
  const Action a = pipeline_.process(ctx);
  if (trace != nullptr && a == Action::Forward) {
    trace->result.leaving_headers = trace_headers({packet, ctx.length});
    trace->result.leaving = headers_line(trace->result.leaving_headers);
  }
  if (trace != nullptr) explain::explain_trace(*trace, *snapshot_, config_, runtime_);
  if (!as_arrived.empty()) prove_trace_fixes(*this, as_arrived, interface, from_device, *trace);
  length = ctx.length;
  if (a == Action::Forward && egress_sink_) {
    if (ctx.sent_as_fragments) {
      send_fragments(*emitted);
    } else {
      egress_sink_({packet, length}, ctx.out_if);
    }
  }
  if (!runtime_.ike_acquires.empty()) run_ike();
  return a;
}

// A packet the egress stage cut into fragments (they are in emitted, marked forwarded) leaves as
// them, through the same sink as a forwarded packet: whoever carries the frames sends them, and a
// caller that only reads the emitted list (packet-trace's pcap) sees them too.
void Device::send_fragments(const std::vector<EmittedPacket>& emitted) {
  for (const auto& e : emitted) {
    if (e.forwarded) egress_sink_(e.bytes, e.interface);
  }
}

Action Device::originate(std::vector<uint8_t>& packet, Trace* trace) {
  settle();
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None) return Action::Drop;
  // The interface the source address belongs to stands for where it comes from (the zone is
  // local whatever it is); an address the device does not have goes with the route's interface.
  uint16_t in = kNoInterface;
  for (size_t i = 0; i < snapshot_->interfaces.size(); ++i) {
    const InterfaceState& st = snapshot_->interfaces[i];
    if (st.has_address && st.address == info.src) in = static_cast<uint16_t>(i);
  }
  if (in == kNoInterface) {
    const Route* r = snapshot_->fib.lookup(info.dst);
    in = r != nullptr && r->kind != RouteKind::Blackhole ? r->out_if : 0;
  }
  auto length = static_cast<uint32_t>(packet.size());
  packet.resize(packet.size() + 256);  // room for an encapsulation
  const Action a = process(packet.data(), length, static_cast<uint32_t>(packet.size()), in, trace,
                           nullptr, true);
  packet.resize(length);
  if (a == Action::ToDevice) {
    // To one of its own addresses: the device answers itself.
    if (auto reply = deliver_to_device(*this, packet)) probes_.answer(*reply, now_ms());
  }
  return a;
}

void Device::receive_batch(uint8_t* const* packets, uint32_t* lengths, const uint32_t* capacities,
                           size_t count, uint16_t interface, Action* actions,
                           std::vector<EmittedPacket>* emitted) {
  settle();
  const uint32_t time = now();
  std::array<PacketContext, kMaxBatch> batch;
  for (size_t done = 0; done < count; done += kMaxBatch) {
    const size_t n = std::min(kMaxBatch, count - done);
    for (size_t i = 0; i < n; ++i) {
      PacketContext& ctx = batch[i];
      // The array was just constructed: only a second round of a large batch starts over.
      if (done != 0) ctx = PacketContext{};
      ctx.ip = packets[done + i];
      ctx.length = lengths[done + i];
      ctx.capacity = capacities[done + i];
      ctx.snap = snapshot_.get();
      ctx.rt = &runtime_;
      ctx.now = time;
      ctx.in_if = interface;
      ctx.emitted = emitted;
    }
    pipeline_.process_batch({batch.data(), n}, actions + done);
    for (size_t i = 0; i < n; ++i) {
      lengths[done + i] = batch[i].length;
      if (actions[done + i] == Action::Forward && egress_sink_ && !batch[i].sent_as_fragments)
        egress_sink_({packets[done + i], batch[i].length}, batch[i].out_if);
    }
  }
  // The fragments of the batch's packets too big for their link, after the packets.
  if (emitted != nullptr && egress_sink_) send_fragments(*emitted);
  if (!runtime_.ike_acquires.empty()) run_ike();
}

Action Device::receive(std::vector<uint8_t>& packet, const std::string& interface, Trace* trace,
                       std::vector<EmittedPacket>* emitted) {
  // Room for an ESP encapsulation to grow the packet in place.
  constexpr size_t kTailroom = 128;
  auto length = static_cast<uint32_t>(packet.size());
  packet.resize(packet.size() + kTailroom);
  const Action a = receive(packet.data(), length, static_cast<uint32_t>(packet.size()),
                           snapshot().interface_index(interface), trace, emitted);
  packet.resize(length);
  return a;
}

bool Device::LiveTraceFilter::matches(uint16_t in, const PacketInfo& p) const {
  if (interface != kNoInterface && interface != in) return false;
  if (protocol != 0 && protocol != p.protocol) return false;
  if (source && *source != p.src) return false;
  if (destination && *destination != p.dst) return false;
  if (destination_port && (!p.has_l4 || *destination_port != p.dst_port)) return false;
  return true;
}

void Device::arm_live_trace(const LiveTraceFilter& filter, uint32_t count) {
  live_filter_ = filter;
  live_remaining_ = count;
  live_traces_.clear();
}

bool Device::take_live_trace(uint16_t interface, std::span<const uint8_t> packet) {
  if (live_remaining_ == 0) return false;
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None || !live_filter_.matches(interface, info))
    return false;
  --live_remaining_;
  return true;
}

void Device::keep_live_trace(std::string text) {
  if (live_traces_.size() == kLiveTracesKept) live_traces_.erase(live_traces_.begin());
  live_traces_.push_back(std::move(text));
}

}  // namespace vfw
