// The IKEv2 engine, sans I/O (RFC 7296): datagrams and the time go in; datagrams to send, CHILD SAs
// to install or remove, and error-info records come out. It owns no socket and reads no clock, so
// two engines negotiate in memory in the tests, on a simulated clock, exactly as they do over UDP
// in the daemon.
//
// Each IKE SA is a small state machine driven by the exchange it is in: IKE_SA_INIT, IKE_AUTH
// (pre-shared key), INFORMATIONAL (delete, liveness). Requests are retransmitted with back-off
// until answered; a retransmitted request gets the same response again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ike/dh.hpp"
#include "ike/encrypted_payload.hpp"
#include "ike/engine_config.hpp"
#include "ike/engine_io.hpp"
#include "ike/key_log.hpp"
#include "ike/keys.hpp"
#include "ike/negotiator.hpp"
#include "ike/random_source.hpp"
#include "ike/work_budget.hpp"

namespace vfw::ike {

enum class IkeSaState : uint8_t {
  InitSent,      // initiator: IKE_SA_INIT request sent
  AuthSent,      // initiator: IKE_AUTH request sent
  InitAnswered,  // responder: IKE_SA_INIT answered, waiting for IKE_AUTH (half-open)
  Established,
  Deleting,  // INFORMATIONAL delete sent
};

// A CREATE_CHILD_SA request this side sent and awaits the answer to.
struct PendingCreate {
  bool active = false;
  bool ike = false;         // rekeying the IKE SA (else a CHILD SA)
  size_t child = SIZE_MAX;  // EngineConfig::children
  uint32_t old_spi_in = 0;  // the CHILD SA being rekeyed
  uint32_t spi_in = 0;      // the new CHILD SA's inbound SPI
  uint64_t new_spi = 0;     // the new IKE SA's SPI, this side's
  Bytes ni;
  std::unique_ptr<DhKey> dh;
};

struct IkeSa {
  uint32_t conn_id = 0;
  bool initiator = false;
  IkeSaState state = IkeSaState::InitSent;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;
  size_t peer = 0;
  size_t child = 0;  // the policy entry that started it (initiator) or that it serves
  uint64_t created_ms = 0;
  uint64_t established_ms = 0;
  bool nat_local = false;   // this side is behind a NAT
  bool nat_remote = false;  // the peer is
  IkeSuite suite;
  uint32_t lifetime_seconds = 86400;
  Identification peer_id;  // the peer's IDi or IDr, once authenticated
  std::vector<ChildSa> children;
  uint64_t rekey_at_ms = UINT64_MAX;   // the IKE SA's soft lifetime
  uint64_t expire_at_ms = UINT64_MAX;  // and its hard one
  PendingCreate pending;

  // Negotiation state, wiped once established.
  std::unique_ptr<DhKey> dh;
  Bytes ni, nr;
  Bytes init_request, init_response;  // the IKE_SA_INIT messages, signed by AUTH
  Bytes cookie;
  uint32_t child_spi = 0;  // the SPI this side offered for the first CHILD SA

  IkeSaKeys keys;
  SkProtection outbound;
  SkProtection inbound;

  // Message IDs and retransmission (RFC 7296 2.1, 2.2).
  uint32_t next_request_id = 0;  // of this side's requests
  uint32_t peer_request_id = 0;  // the peer's next request
  Bytes last_request;
  uint64_t retransmit_at_ms = 0;
  unsigned retransmits = 0;
  bool awaiting_response = false;
  bool liveness_check = false;  // the request awaited is a DPD liveness check
  uint64_t last_heard_ms = 0;   // the last message from the peer (DPD)
  Bytes last_response;          // to a retransmitted request, the same answer
  bool has_response = false;
  // SHA-256 of the request last_response answers: only that request, sent again, gets it again
  // (a forged message with the SPIs and the message ID does not make this side reflect it).
  Bytes answered_digest;
};

// What a responder refused before any state, since the engine started (display ikev2 statistics
// error counts them beside the failures of negotiations).
struct RefusalCounters {
  uint64_t responder_dh_mismatch = 0;  // a KE value not in its group
  uint64_t invalid_cookie = 0;         // a COOKIE returned that this side did not give
  uint64_t cookies_sent = 0;           // requests answered with a COOKIE to return
  uint64_t busy = 0;                   // new IKE SAs not answered: the work budget was spent
};

class Engine final : public Negotiator {
 public:
  explicit Engine(EngineConfig config);

  // The configuration changed: new peers and policies apply to new negotiations; the SAs of a
  // peer or policy entry that is gone are deleted (the peer told), the others carry on.
  void configure(EngineConfig config, uint64_t now_ms) override;
  const EngineConfig& config() const { return config_; }
  // Where SPIs, nonces, Diffie-Hellman values, IVs and the cookie secret come from (OpenSSL's
  // DRBG unless told otherwise); the source must outlive the engine.
  void set_random(RandomSource& random) override;
  // Both engines of a device spend one budget of Diffie-Hellman work (ike/work_budget.hpp).
  void share_work_budget(std::shared_ptr<WorkBudget> budget) override {
    budget_ = std::move(budget);
  }
  const WorkBudget& work_budget() const { return *budget_; }
  const RefusalCounters& refusals() const { return refusals_; }
  // Both engines of a device number their SAs from one counter, as the device does.
  void share_conn_ids(std::shared_ptr<uint32_t> counter) override {
    conn_ids_ = std::move(counter);
  }

  // An IKE message (without the non-ESP marker) from remote to local.
  void receive(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
               uint64_t now_ms) override;

  // Starts the negotiation for a policy entry (traffic matched its ACL, or auto-neg). false when
  // one is already under way or established, or the entry cannot initiate.
  bool initiate(size_t child, uint64_t now_ms) override;

  // The data plane says a CHILD SA (by one of its SPIs) has carried most of its traffic-based
  // lifetime (soft: renew it now) or all of it (hard: delete it); the next tick acts.
  void traffic_lifetime(uint32_t spi, bool inbound, bool hard) override;

  // Retransmissions and timeouts due by now.
  void tick(uint64_t now_ms) override;
  // When tick() next has something to do (UINT64_MAX: nothing pending).
  uint64_t next_timer_ms() const override;

  // Deletes every IKE SA (and its CHILD SAs), telling the peers (reset ike sa).
  void delete_all(uint64_t now_ms) override;
  // Deletes every CHILD SA, telling the peers; the IKE SAs stay (reset ipsec sa).
  void delete_children(uint64_t now_ms) override;

  std::vector<Datagram> take_datagrams() override { return std::exchange(datagrams_, {}); }
  std::vector<ChildSaInstall> take_installs() override { return std::exchange(installs_, {}); }
  std::vector<ChildSaRemoval> take_removals() override { return std::exchange(removals_, {}); }
  std::vector<ErrorRecord> take_errors() override { return std::exchange(errors_, {}); }

  const std::vector<std::unique_ptr<IkeSa>>& sas() const { return sas_; }
  // The keys of every IKE SA derived here, for Wireshark (ike/key_log.hpp).
  const KeyLog& key_log() const { return key_log_; }
  size_t half_open() const override { return half_open_; }

  // sa trigger-mode auto: an entry without its SAs is negotiated at most this often.
  static constexpr uint64_t kAutoRetryMs = 30'000;
  // NAT keepalives (RFC 3948 4): from the side behind a NAT, this often.
  static constexpr uint64_t kKeepaliveMs = 20'000;
  // Retransmission: the first after 2 s, doubling, five in all (then the exchange times out).
  static constexpr uint64_t kRetransmitBaseMs = 2000;
  static constexpr unsigned kMaxRetransmits = 5;
  // At most this many IKE SAs still negotiating: beyond, new IKE_SA_INIT requests are ignored.
  static constexpr size_t kMaxHalfOpen = 4096;
  // Beyond this many half-open SAs (counting the Diffie-Hellman computations of the same period
  // that were spent on values not in the group), an IKE_SA_INIT request must return the cookie
  // this side answers it with (RFC 7296 2.6): a spoofed source never sees it, so it costs no
  // state and no Diffie-Hellman work.
  static constexpr size_t kCookieThreshold = 64;

 private:
  // The entry points' work; the public ones turn a CryptoFailure into an error record.
  bool start(size_t child, uint64_t now_ms);
  void handle(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
              uint64_t now_ms);
  void run_timers(uint64_t now_ms);
  IkeSa* find_own(uint64_t own_spi);
  void send(IkeSa& sa, Bytes message, bool request, uint64_t now_ms);
  void fail(IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify, uint64_t now_ms);
  void reject_responder(IkeSa& sa, uint64_t now_ms);
  void record_for(const IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                  uint64_t now_ms);
  void record(Ipv4 peer, uint16_t port, Failure reason, const std::string& detail, uint16_t notify,
              uint64_t now_ms);
  void remove(IkeSa* sa);
  uint32_t new_conn_id() { return (*conn_ids_)++; }

  void send_init_request(IkeSa& sa, uint64_t now_ms);
  void on_init_request(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> m,
                       const Header& h, const Payloads& p, uint64_t now_ms);
  void on_init_response(IkeSa& sa, std::span<const uint8_t> m, const Header& h, const Payloads& p,
                        uint64_t now_ms);
  void on_auth_request(IkeSa& sa, const Header& h, const Payloads& p, uint64_t now_ms);
  void on_auth_response(IkeSa& sa, const Payloads& p, uint64_t now_ms);
  void on_informational_request(IkeSa& sa, const Header& h, const Payloads& p, uint64_t now_ms);
  void answer_unprotected_error(const Endpoint& local, const Endpoint& remote, const Header& h,
                                uint16_t type, std::span<const uint8_t> data);
  void send_protected(IkeSa& sa, uint8_t exchange, bool response, uint32_t message_id,
                      const PayloadWriter& inner, uint64_t now_ms);
  bool derive_keys(IkeSa& sa, std::span<const uint8_t> peer_ke);
  void detect_nat(IkeSa& sa, const Header& h, const Payloads& p, const Endpoint& local,
                  const Endpoint& remote);
  // keys from prf+ (SK_d, [shared |] ni | nr); exchange_initiator: this side sent the request of
  // the exchange that made it (its keys come first in KEYMAT).
  void install_child(IkeSa& sa, size_t child, uint32_t spi_in, uint32_t spi_out,
                     const std::vector<TrafficSelector>& local_ts,
                     const std::vector<TrafficSelector>& remote_ts, std::span<const uint8_t> shared,
                     std::span<const uint8_t> ni, std::span<const uint8_t> nr,
                     bool exchange_initiator, uint64_t now_ms);
  // CREATE_CHILD_SA (RFC 7296 1.3): rekeying a CHILD SA or the IKE SA, a new CHILD SA.
  void start_child_rekey(IkeSa& sa, size_t index, uint64_t now_ms);
  void start_ike_rekey(IkeSa& sa, uint64_t now_ms);
  void on_create_child_request(IkeSa& sa, const Header& h, const Payloads& p, uint64_t now_ms);
  void on_create_child_response(IkeSa& sa, const Payloads& p, uint64_t now_ms);
  // The new IKE SA that replaces sa after a rekey: its keys, its SPIs, sa's CHILD SAs.
  IkeSa& adopt(IkeSa& sa, bool initiator, uint64_t spi_i, uint64_t spi_r, const IkeSuite& suite,
               std::span<const uint8_t> shared, std::span<const uint8_t> ni,
               std::span<const uint8_t> nr, uint64_t now_ms);
  void delete_child(IkeSa& sa, size_t index, uint64_t now_ms);
  void schedule_ike_lifetime(IkeSa& sa, uint64_t now_ms);

  EngineConfig config_;
  RandomSource* random_ = &system_random();
  std::vector<std::unique_ptr<IkeSa>> sas_;
  std::unordered_map<uint64_t, IkeSa*> by_own_spi_;  // the SPI this side chose
  // Responder SAs by (peer address, initiator's SPI): a retransmitted IKE_SA_INIT request finds
  // the SA it made and gets the same response (RFC 7296 2.1).
  std::map<std::pair<uint32_t, uint64_t>, IkeSa*> by_peer_spi_;
  std::vector<Datagram> datagrams_;
  std::vector<ChildSaInstall> installs_;
  std::vector<ChildSaRemoval> removals_;
  std::vector<ErrorRecord> errors_;
  KeyLog key_log_;
  std::shared_ptr<uint32_t> conn_ids_ = std::make_shared<uint32_t>(1);
  size_t half_open_ = 0;  // responder SAs in InitAnswered
  std::shared_ptr<WorkBudget> budget_ = std::make_shared<WorkBudget>();
  RefusalCounters refusals_;
  Bytes cookie_secret_;                    // random, per engine
  std::vector<uint64_t> auto_attempt_ms_;  // per ChildConfig: the last automatic negotiation
  uint64_t next_keepalive_ms_ = 0;
  Bytes cookie_for(std::span<const uint8_t> ni, Ipv4 address, uint64_t spi_i) const;
  void forget_negotiation(IkeSa& sa);
};

}  // namespace vfw::ike
