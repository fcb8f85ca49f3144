// One firewall: its configuration, the compiled snapshot, the pipeline and the runtime state.
//
// The CLI and the configuration loader change the configuration; apply() compiles it into a new
// snapshot and swaps it in, while sessions and NAT bindings carry on, as on the device.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "device/arp_table.hpp"
#include "device/ike_link.hpp"
#include "device/log_buffer.hpp"
#include "device/own_probes.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/runtime.hpp"
#include "pipeline/snapshot.hpp"

namespace vfw {

class Device {
 public:
  static constexpr uint32_t kDefaultSessionCapacity = 1U << 18;

  explicit Device(config::Config cfg = config::Config::factory_default(),
                  uint32_t session_capacity = kDefaultSessionCapacity);

  const config::Config& config() const { return config_; }
  config::Config& edit() { return config_; }  // follow with apply()
  // The configuration changed: the data plane runs it from the next packet or display on. The
  // compilation itself waits for that moment, so that 100,000 lines typed or pasted one by one
  // compile once, not 100,000 times; nothing can observe the old snapshot in between. The manual
  // SAs are made at once (a handful of keys), so that their errors reach the line that caused them.
  void apply();
  void replace(config::Config cfg);  // a loaded file: all of it, then apply()
  // The host says an interface's link went down (its Linux interface gone, or no carrier) or came
  // back: display interface shows it, and its routes leave the FIB until it returns. The
  // configuration does not change. false when the state was already so.
  bool set_link(const std::string& interface, bool up) {
    const bool changed =
        up ? links_down_.erase(interface) != 0 : links_down_.insert(interface).second;
    if (changed) dirty_ = true;
    return changed;
  }

  const Snapshot& snapshot() const {
    settle();
    return *snapshot_;
  }
  Runtime& runtime() {
    settle();
    return runtime_;
  }
  const Runtime& runtime() const {
    settle();
    return runtime_;
  }
  const Pipeline& pipeline() const { return pipeline_; }
  // Counts the compiled configurations: a change since a reader last looked shows as a new
  // number (what the kernel data plane follows; a snapshot's address could be reused).
  uint64_t generation() const {
    settle();
    return generation_;
  }

  // The device clock in seconds: simulated (tests and the lab move it with set_time), or the
  // wall clock from follow_wall_clock() on, as in `vfw cli`, where sessions age in real time.
  uint32_t now() const;
  void set_time(uint32_t seconds) { now_ = seconds; }
  void follow_wall_clock();

  // reset firewall session table: removes the sessions that match (an unset field matches any),
  // returning their NAT ports and addresses to the pools. Returns how many went.
  struct SessionFilter {
    std::optional<Ipv4> source;       // the flow's source as it arrived
    std::optional<Ipv4> destination;  // the flow's destination as it arrived
    std::optional<uint8_t> protocol;
  };
  size_t reset_sessions(const SessionFilter& filter);
  // Where the sessions are when vfw does not forward (vfw run --dataplane kernel: the kernel's
  // conntrack): refresh fills the session table before a display or a reset reads it; remove
  // takes a session out of its real home when `reset firewall session table` removes it here.
  struct SessionSource {
    std::function<void()> refresh;
    std::function<void(const Session&)> remove;
  };
  void set_session_source(SessionSource source) { session_source_ = std::move(source); }
  void refresh_sessions() {
    if (session_source_.refresh) session_source_.refresh();
  }

  // The date display commands print first ("2025-05-07 15:10:12.750 "): the real time, unless a
  // test fixed it (milliseconds since the epoch).
  std::string timestamp() const;
  void fix_wall_clock(int64_t epoch_ms) { fixed_wall_clock_ms_ = epoch_ms; }
  // The wall clock's milliseconds since the epoch, as timestamp() reads it.
  int64_t wall_clock_ms() const;

  // The log buffer (display logbuffer): a line in vfw's words, "IKE/4/X: text", stamped now.
  void log(std::string_view line, char kind = 'l') { logbuffer_.add(line, wall_clock_ms(), kind); }
  const LogBuffer& logbuffer() const { return logbuffer_; }

  // Runs one packet that arrives on the named interface. The packet is rewritten in place.
  Action receive(std::vector<uint8_t>& packet, const std::string& interface, Trace* trace = nullptr,
                 std::vector<EmittedPacket>* emitted = nullptr);
  // The packet may grow up to capacity (ESP encapsulation); length is updated.
  Action receive(uint8_t* packet, uint32_t& length, uint32_t capacity, uint16_t interface,
                 Trace* trace = nullptr, std::vector<EmittedPacket>* emitted = nullptr);
  // IKE (device/ike_link.hpp): whoever runs the device carries the engine's datagrams (the daemon
  // over UDP 500 and 4500, the lab and the tests in memory) and moves its time on.
  void ike_receive(const ike::Endpoint& local, const ike::Endpoint& remote,
                   std::span<const uint8_t> message);
  // The device's timers: IKE's (retransmissions, lifetimes, DPD) and the aging of sessions, a
  // slice of kAgingSlice table slots a tick.
  void ike_tick();
  static constexpr uint32_t kAgingSlice = 65536;
  std::vector<ike::Datagram> ike_take_datagrams();
  // reset ike sa / reset ipsec sa: the SAs go, the peers are told.
  void ike_reset(bool children_only);
  // Starts the negotiation of an ISAKMP policy entry now (ipsec policy ... auto-neg, tests).
  bool ike_initiate(const std::string& policy, uint32_t seq);
  IkeLink& ike() {
    settle();
    return ike_;
  }
  const IkeLink& ike() const {
    settle();
    return ike_;
  }
  // What crossed each interface (display interface), counted by whoever carries the device's
  // frames: the lab's links, `vfw run --bind`.
  struct InterfaceCounters {
    uint64_t in_packets = 0;
    uint64_t in_bytes = 0;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;
    uint64_t host_drops = 0;  // vfw run --bind: dropped by the host before vfw read them
  };
  // By index, as the data path counts: no lookup beyond the vector's.
  InterfaceCounters& counters(uint16_t interface) {
    if (interface >= counters_.size()) counters_.resize(size_t{interface} + 1);
    return counters_[interface];
  }
  InterfaceCounters counted(uint16_t interface) const {
    return interface < counters_.size() ? counters_[interface] : InterfaceCounters {};
  }

  // packet-trace next N: the next real packets that match a filter, as they arrive, are traced
  // (the others keep the batch path, untraced); display packet-trace shows the traces kept.
  struct LiveTraceFilter {
    uint16_t interface = kNoInterface;  // any
    uint8_t protocol = 0;               // any
    std::optional<Ipv4> source;
    std::optional<Ipv4> destination;
    std::optional<uint16_t> destination_port;
    bool matches(uint16_t in, const PacketInfo& p) const;
  };
  static constexpr size_t kLiveTracesKept = 100;
  void arm_live_trace(const LiveTraceFilter& filter, uint32_t count);
  // Whether this packet, arriving on interface, is to be traced (counts it when it is).
  bool take_live_trace(uint16_t interface, std::span<const uint8_t> packet);
  bool live_trace_armed() const { return live_remaining_ != 0; }
  uint32_t live_trace_remaining() const { return live_remaining_; }
  void keep_live_trace(std::string text);
  const std::vector<std::string>& live_traces() const { return live_traces_; }

  // The ARP cache, filled by whoever carries the device's frames (display arp).
  ArpTable& arp() { return arp_; }
  const ArpTable& arp() const { return arp_; }

  // Where forwarded packets go when the device runs for real (the daemon sends those that leave
  // in a tunnel); unset in the lab and the tests, which read the packet from receive().
  using EgressSink = std::function<void(std::span<const uint8_t> packet, uint16_t interface)>;
  void set_egress_sink(EgressSink sink) { egress_sink_ = std::move(sink); }

  // Packets that waited for IKE and left through the new SA: taken by whoever carries the
  // device's traffic on (the Ethernet front end, the daemon's sockets, the tests), after the
  // IKE datagrams that brought the SA up.
  std::vector<EmittedPacket> take_released() { return std::exchange(released_, {}); }
  // How long a packet waits for its tunnel before it is given up.
  static constexpr uint32_t kHoldSeconds = 30;

  // Milliseconds of the device clock, for IKE's timers.
  uint64_t now_ms() const;

  // A packet the device sends itself (ping, tracert): through the pipeline from the local zone,
  // as the device's own traffic goes (the security policy from local, NAT, the security ACL and
  // IPSec apply). Forwarded, it leaves through the egress sink; addressed to the device itself,
  // it is answered at once (the answer to one of its probes lands in probes()).
  Action originate(std::vector<uint8_t>& packet, Trace* trace = nullptr);
  // The probes the device's own ping and tracert wait answers for (device/own_probes.hpp).
  OwnProbes& probes() { return probes_; }
  // ICMP errors the device sends of its own (port unreachable) are rate-limited, as a host's
  // are: at most kIcmpErrorsPerSecond each second of the device clock, so that a flood of UDP to
  // it is not reflected.
  static constexpr uint32_t kIcmpErrorsPerSecond = 100;
  bool may_send_icmp_error() {
    const uint32_t second = now();
    if (second != icmp_error_second_) {
      icmp_error_second_ = second;
      icmp_errors_ = 0;
    }
    return icmp_errors_++ < kIcmpErrorsPerSecond;
  }

  // Packets that arrived on one interface, untraced, kMaxBatch at a time through the pipeline's
  // batch path. Each may grow up to its capacity (ESP) and its length is updated; forwarded ones
  // go to the egress sink as receive() sends them; what the device emits (ICMP errors) goes to
  // emitted when given.
  static constexpr size_t kMaxBatch = 64;
  void receive_batch(uint8_t* const* packets, uint32_t* lengths, const uint32_t* capacities,
                     size_t count, uint16_t interface, Action* actions,
                     std::vector<EmittedPacket>* emitted = nullptr);

 private:
  // One packet through the pipeline, arrived on interface or sent by the device itself.
  void send_fragments(const std::vector<EmittedPacket>& emitted);
  Action process(uint8_t* packet, uint32_t& length, uint32_t capacity, uint16_t interface,
                 Trace* trace, std::vector<EmittedPacket>* emitted, bool from_device);
  // Compiles the configuration into a new snapshot if it changed since the last one.
  void settle() const;
  // What packets asked of IKE, then what IKE decided, into the SAD.
  void run_ike();

  config::Config config_;
  // The compiled state is a cache of config_, brought up to date by settle() wherever it is read.
  mutable std::shared_ptr<const Snapshot> snapshot_;
  mutable Runtime runtime_;
  mutable IkeLink ike_;
  ArpTable arp_;
  OwnProbes probes_;
  LogBuffer logbuffer_;
  uint32_t icmp_error_second_ = 0;
  uint32_t icmp_errors_ = 0;
  std::vector<InterfaceCounters> counters_;
  std::set<std::string> links_down_;  // set_link()
  LiveTraceFilter live_filter_;
  uint32_t live_remaining_ = 0;
  std::vector<std::string> live_traces_;
  EgressSink egress_sink_;
  std::vector<EmittedPacket> released_;
  void release_held();
  void touch_held_session(const Runtime::HeldPacket& h);
  mutable bool dirty_ = true;
  mutable uint64_t generation_ = 0;
  SessionSource session_source_;
  Pipeline pipeline_;
  uint32_t now_ = 0;
  // Set by follow_wall_clock(): now() is now_ plus the seconds since then.
  std::optional<std::chrono::steady_clock::time_point> wall_start_;
  int64_t fixed_wall_clock_ms_ = -1;
  std::vector<std::string> sa_errors_;

 public:
  // Manual SAs that could not be made from the configuration (a key of the wrong length ...).
  const std::vector<std::string>& sa_errors() const { return sa_errors_; }
};

}  // namespace vfw
