// What the device asks of an IKE engine, whichever version it speaks: both engines (ike/v2 for
// RFC 7296, ike/v1 for RFC 2409) implement it, so that the device holds two negotiators and
// drives them alike (device/ike_link.cpp), and a third (certificates over either, say) would be
// one more entry, not thirteen more forwarding methods.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ike/engine_config.hpp"
#include "ike/engine_io.hpp"
#include "ike/random_source.hpp"
#include "ike/work_budget.hpp"

namespace vfw::ike {

class Negotiator {
 public:
  virtual ~Negotiator() = default;

  // The configuration changed: new peers and policies apply to new negotiations; the SAs of a
  // peer or policy entry that is gone are deleted, the others carry on.
  virtual void configure(EngineConfig config, uint64_t now_ms) = 0;
  // Where SPIs, nonces, cookies and Diffie-Hellman values come from; the source must outlive
  // the engine.
  virtual void set_random(RandomSource& random) = 0;
  // A device's engines number their SAs from one counter and spend one budget of
  // Diffie-Hellman work.
  virtual void share_conn_ids(std::shared_ptr<uint32_t> counter) = 0;
  virtual void share_work_budget(std::shared_ptr<WorkBudget> budget) = 0;

  // A message of this engine's version (without the non-ESP marker) from remote to local.
  virtual void receive(const Endpoint& local, const Endpoint& remote,
                       std::span<const uint8_t> message, uint64_t now_ms) = 0;
  // Starts the negotiation of a policy entry's SAs; false when one is under way or established,
  // or the entry cannot initiate.
  virtual bool initiate(size_t child, uint64_t now_ms) = 0;
  // The data plane says an SA (by one of its SPIs) has carried most (soft) or all (hard) of its
  // traffic-based lifetime.
  virtual void traffic_lifetime(uint32_t spi, bool inbound, bool hard) = 0;
  // Retransmissions, lifetimes and timeouts due by now, and when next (UINT64_MAX: never).
  virtual void tick(uint64_t now_ms) = 0;
  virtual uint64_t next_timer_ms() const = 0;
  // reset ike sa / reset ipsec sa.
  virtual void delete_all(uint64_t now_ms) = 0;
  virtual void delete_children(uint64_t now_ms) = 0;

  // What came out since the last call.
  virtual std::vector<Datagram> take_datagrams() = 0;
  virtual std::vector<ChildSaInstall> take_installs() = 0;
  virtual std::vector<ChildSaRemoval> take_removals() = 0;
  virtual std::vector<ErrorRecord> take_errors() = 0;
  // SAs still negotiating (bounded: each engine's kMaxHalfOpen).
  virtual size_t half_open() const = 0;
};

}  // namespace vfw::ike
