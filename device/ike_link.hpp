// The IKE engine of one device: its configuration compiled from the device's (peers, proposals,
// ISAKMP policy entries and their security ACLs as traffic selectors), the CHILD SAs it
// negotiates landing in the device's SAD, and its failures kept as the device keeps them
// (display ike error-info, debugging ikev2 error). The engine itself is sans I/O
// (ike/engine.hpp); whoever runs the device carries its datagrams (the daemon, the lab, tests).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "device/rate_limited_log.hpp"
#include "ike/v1/engine.hpp"
#include "ike/v2/engine.hpp"
#include "ipsec/sad.hpp"

namespace vfw {

struct IkeErrorInfo {
  ike::ErrorRecord record;
  std::string time;  // the device's timestamp when it happened
};

class IkeLink {
 public:
  IkeLink();

  // The device's configuration changed: new negotiations follow it. Problems that keep a policy
  // entry from negotiating (no usable key, an ACL rule no selector can express) are listed.
  void configure(const config::Config& cfg, uint64_t now_ms);
  const std::vector<std::string>& problems() const { return problems_; }

  // The two engines: IKEv2's, and IKEv1's for the peers that speak it (`undo version 2`, or a
  // peer that starts with IKEv1). Both read the same configuration.
  ike::Engine& engine() { return engine_; }
  const ike::Engine& engine() const { return engine_; }
  ike::v1::Engine& engine_v1() { return v1_; }
  const ike::v1::Engine& engine_v1() const { return v1_; }
  // Both engines draw their random bytes from random from now on (a lab's seeded stream).
  void set_random(ike::RandomSource& random) {
    for (ike::Negotiator* n : negotiators()) n->set_random(random);
  }

  // The Diffie-Hellman work both engines may do for requesters (ike/work_budget.hpp).
  ike::WorkBudget& work_budget() { return *budget_; }
  const ike::WorkBudget& work_budget() const { return *budget_; }

  // What the device asks of IKE, whichever version: a message goes to the engine of its version.
  void receive(const ike::Endpoint& local, const ike::Endpoint& remote,
               std::span<const uint8_t> message, uint64_t now_ms);
  bool initiate(size_t child, uint64_t now_ms);
  void traffic_lifetime(uint32_t spi, bool inbound, bool hard);
  void tick(uint64_t now_ms);
  uint64_t next_timer_ms() const;
  void delete_all(uint64_t now_ms);
  void delete_children(uint64_t now_ms);
  std::vector<ike::Datagram> take_datagrams();

  // The ISAKMP policy entry (its SPD index) a packet needs an SA for; false when it cannot start.
  bool acquire(uint32_t policy_index, uint64_t now_ms);
  // What the engine decided, into the SAD and the error records. timestamp: the device's.
  void drain(ipsec::Sad& sad, uint32_t now_seconds, const std::string& timestamp,
             uint32_t anti_replay_window);

  // The last failures, newest last (the device keeps a bounded history).
  static constexpr size_t kMaxErrorInfo = 200;
  const std::deque<IkeErrorInfo>& error_info() const { return error_info_; }
  // Every failure since the device started, by IKE version and reason (display ikev2 statistics
  // error): the error-info list keeps only the last ones.
  uint64_t error_count(uint8_t version, ike::Failure reason) const {
    return error_counts_[version == 1 ? 0 : 1][static_cast<size_t>(reason)];
  }
  // What happened since last asked, one line each in the device's log style: tunnels up and
  // down, failures. With keys_in_log, also each IKE SA's keys as Wireshark's IKEv2 decryption
  // table takes them (debug level: whoever reads this log can read the tunnel).
  std::vector<std::string> take_log() { return std::exchange(log_, {}); }
  bool keys_in_log = false;

  // debugging ikev2 error, debugging ikev1 error, debugging ipsec error: the failures in the
  // device's debugging lines (the seed's), for the terminal that shows them.
  bool debug_ikev2_error = false;
  bool debug_ikev1_error = false;
  bool debug_ipsec_error = false;
  std::vector<std::string> take_debug() { return std::exchange(debug_, {}); }

 private:
  void log_keys();

  ike::Engine engine_;
  ike::v1::Engine v1_;
  // Both, driven alike: what one is told, the other is.
  std::array<ike::Negotiator*, 2> negotiators() { return {&engine_, &v1_}; }
  std::array<const ike::Negotiator*, 2> negotiators() const { return {&engine_, &v1_}; }
  size_t half_open() const { return engine_.half_open() + v1_.half_open(); }
  std::shared_ptr<ike::WorkBudget> budget_ = std::make_shared<ike::WorkBudget>();
  // A flood of failures is counted, not written line by line (at most 10 a second).
  RateLimitedLog failure_log_{10};
  uint32_t log_second_ = UINT32_MAX;  // the second the last summary was made for
  uint64_t cookies_seen_ = 0;         // the defences' counters when last logged
  uint64_t busy_seen_ = 0;
  std::vector<std::string> problems_;
  std::deque<IkeErrorInfo> error_info_;
  std::array<std::array<uint64_t, ike::kFailureCount>, 2> error_counts_{};  // IKEv1, IKEv2
  void debug_lines(const ike::ErrorRecord& e, const std::string& timestamp);
  std::vector<std::string> debug_;
  std::string sysname_;
  std::vector<std::string> log_;
  std::vector<uint64_t> logged_keys_;  // IKE SAs whose keys were logged (by initiator SPI)
};

// Exposed for the tests: the engine's view of a configuration.
ike::EngineConfig ike_engine_config(const config::Config& cfg, std::vector<std::string>& problems);

}  // namespace vfw
