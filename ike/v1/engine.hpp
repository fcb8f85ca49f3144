// The IKEv1 engine, sans I/O (RFC 2409 with RFC 3947 NAT traversal and RFC 3706 DPD): the same
// inputs and outputs as the IKEv2 engine (ike/engine_io.hpp), and a shape of its own, because the
// protocol's is different: phase 1 (main mode in six messages or aggressive mode in three) makes
// an ISAKMP SA; each quick mode on it (three messages) makes one pair of IPsec SAs; informational
// exchanges carry deletes, errors and DPD. There are no requests and responses as in IKEv2: each
// side retransmits its last message of an exchange until the next one arrives, and answers a
// repeated message with its own last one again.
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
#include "ike/engine_config.hpp"
#include "ike/engine_io.hpp"
#include "ike/ikev1_keys.hpp"
#include "ike/ikev1_message.hpp"
#include "ike/key_log.hpp"
#include "ike/negotiator.hpp"
#include "ike/random_source.hpp"
#include "ike/work_budget.hpp"

namespace vfw::ike::v1 {

enum class Phase1State : uint8_t {
  MainSent1,  // initiator: SA sent
  MainSent2,  // responder: SA chosen and sent
  MainSent3,  // initiator: KE, Ni sent
  MainSent4,  // responder: KE, Nr sent
  MainSent5,  // initiator: IDii, HASH_I sent (encrypted)
  AggressiveSent1,
  AggressiveSent2,
  Established,
};

// The last message this side sent in an exchange, kept for retransmission, and the last one
// received, to recognise the peer's retransmission of it.
struct Flight {
  Bytes message;
  bool awaiting = false;  // retransmitted on a timer until the peer's next message arrives
  uint64_t at_ms = 0;
  unsigned count = 0;
  Bytes received;
};

// What a quick mode chose: the IPsec SA's algorithms and lifetimes.
struct ChildChoice {
  uint8_t protocol = protocol::kEsp;
  ipsec::Encryption encryption = ipsec::Encryption::None;
  ipsec::Authentication authentication = ipsec::Authentication::None;
  bool tunnel = true;
  bool udp = false;  // UDP-Encapsulated (NAT traversal)
  uint32_t lifetime_seconds = 3600;
  uint32_t lifetime_kilobytes = 0;
};

struct QuickMode {
  uint32_t message_id = 0;
  bool initiator = false;
  size_t child = SIZE_MAX;  // EngineConfig::children
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  uint32_t replaces_spi_in = 0;  // a rekey: the SA this one replaces
  Bytes ni, nr;
  std::unique_ptr<DhKey> dh;
  Bytes shared;  // PFS: g(qm)^xy
  Bytes iv;      // this exchange's CBC state
  Id idci, idcr;
  bool has_ids = false;
  ChildChoice choice;
  Flight flight;
  bool done = false;  // the last message is sent or received; kept a while to answer repeats
  uint64_t started_ms = 0;
};

struct IsakmpSa {
  uint32_t conn_id = 0;
  bool initiator = false;
  bool aggressive = false;
  Phase1State state = Phase1State::MainSent1;
  uint64_t cky_i = 0;
  uint64_t cky_r = 0;
  Endpoint local;
  Endpoint remote;
  size_t peer = 0;
  size_t child = SIZE_MAX;  // the policy entry that started it (initiator)
  uint64_t created_ms = 0;
  uint64_t established_ms = 0;
  bool peer_nat_t = false;  // the peer sent RFC 3947's vendor ID
  bool peer_dpd = false;
  bool nat_local = false;
  bool nat_remote = false;
  const Cipher* cipher = nullptr;
  const Hash* hash = nullptr;
  const DhGroup* group = nullptr;
  uint32_t lifetime_seconds = 86400;
  Identification peer_id;
  Bytes peer_id_body;  // its ID payload's body, as HASH_I and HASH_R cover it
  std::vector<ChildSa> children;
  std::vector<size_t> waiting;  // policy entries to negotiate once phase 1 is up

  std::unique_ptr<DhKey> dh;
  Bytes ni, nr, gxi, gxr, sa_i_body, shared;
  Phase1Keys keys;
  Bytes iv;  // phase 1's CBC state; once established, the last phase 1 block
  Flight flight;
  std::vector<std::unique_ptr<QuickMode>> quick;

  uint64_t rekey_at_ms = UINT64_MAX;
  uint64_t expire_at_ms = UINT64_MAX;
  bool replaced = false;  // a newer ISAKMP SA with the peer took over
  uint64_t last_heard_ms = 0;
  uint32_t dpd_sequence = 0;
  uint64_t dpd_sent_ms = 0;
  unsigned dpd_tries = 0;

  bool established() const { return state == Phase1State::Established; }
};

class Engine final : public Negotiator {
 public:
  explicit Engine(EngineConfig config);

  void configure(EngineConfig config, uint64_t now_ms) override;
  const EngineConfig& config() const { return config_; }
  // Both engines of a device number their SAs from one counter, as the device does.
  // Where cookies, SPIs, message IDs, nonces and Diffie-Hellman values come from (OpenSSL's DRBG
  // unless told otherwise); the source must outlive the engine.
  void set_random(RandomSource& random) override { random_ = &random; }
  void share_conn_ids(std::shared_ptr<uint32_t> counter) override {
    conn_ids_ = std::move(counter);
  }
  // Both engines of a device spend one budget of Diffie-Hellman work (ike/work_budget.hpp).
  void share_work_budget(std::shared_ptr<WorkBudget> budget) override {
    budget_ = std::move(budget);
  }
  // Phase 1 messages not answered because the work budget was spent.
  uint64_t busy() const { return busy_; }

  // An ISAKMP message (without the non-ESP marker) from remote to local.
  void receive(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
               uint64_t now_ms) override;
  // Negotiates the policy entry's IPsec SAs: a quick mode on the peer's ISAKMP SA, after a phase 1
  // when there is none. false when one is under way or established, or the entry cannot.
  bool initiate(size_t child, uint64_t now_ms) override;
  void traffic_lifetime(uint32_t spi, bool inbound, bool hard) override;
  void tick(uint64_t now_ms) override;
  uint64_t next_timer_ms() const override;
  void delete_all(uint64_t now_ms) override;
  void delete_children(uint64_t now_ms) override;

  std::vector<Datagram> take_datagrams() override { return std::exchange(datagrams_, {}); }
  std::vector<ChildSaInstall> take_installs() override { return std::exchange(installs_, {}); }
  std::vector<ChildSaRemoval> take_removals() override { return std::exchange(removals_, {}); }
  std::vector<ErrorRecord> take_errors() override { return std::exchange(errors_, {}); }

  const std::vector<std::unique_ptr<IsakmpSa>>& sas() const { return sas_; }
  // The keys of every IKE SA derived here, for Wireshark (ike/key_log.hpp).
  const KeyLog& key_log() const { return key_log_; }
  size_t half_open() const override { return half_open_; }

  static constexpr uint64_t kRetransmitBaseMs = 2000;
  static constexpr unsigned kMaxRetransmits = 5;
  static constexpr size_t kMaxHalfOpen = 4096;
  static constexpr uint64_t kHalfOpenMs = 30'000;
  static constexpr uint64_t kKeepaliveMs = 20'000;
  static constexpr uint64_t kAutoRetryMs = 30'000;
  // A finished quick mode is kept this long to answer a repeated message with the last one.
  static constexpr uint64_t kQuickLingerMs = 30'000;
  // A lifetime the peer states is honoured down to this: below, rekeying would be all it does.
  static constexpr uint32_t kMinLifetimeSeconds = 5;

 private:
  // When the side that started an SA renews it: at 90% of its lifetime. The other side does
  // not renew (IKEv1 leaves it to the initiator), it only deletes at the end of the lifetime.
  static uint64_t soft_ms(uint64_t start, uint32_t seconds);

  uint32_t new_conn_id() { return (*conn_ids_)++; }
  IsakmpSa* find(const Header& h);
  // The entry points' work; the public ones turn a CryptoFailure into an error record.
  bool start(size_t child, uint64_t now_ms);
  void handle(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
              uint64_t now_ms);
  void run_timers(uint64_t now_ms);
  IsakmpSa& create(bool initiator, const Endpoint& local, const Endpoint& remote, size_t peer,
                   uint64_t now_ms);
  void remove(IsakmpSa* sa);
  void record(const IsakmpSa* sa, Ipv4 peer, uint16_t port, Failure reason,
              const std::string& detail, uint16_t notify, uint64_t now_ms);
  void fail(IsakmpSa& sa, Failure reason, const std::string& detail, uint16_t notify,
            uint64_t now_ms);
  ErrorRecord& last_error() { return errors_.back(); }

  // Sending.
  void transmit(const Endpoint& local, const Endpoint& remote, Bytes message);
  void send_flight(IsakmpSa& sa, Flight& flight, Bytes message, bool await, uint64_t now_ms);
  static Deletion isakmp_deletion(const IsakmpSa& sa);  // the ISAKMP SA named by its cookies
  Bytes seal(Header h, const PayloadWriter& w, const IsakmpSa& sa, Bytes& iv) const;
  bool open(std::span<const uint8_t> message, const Header& h, const IsakmpSa& sa, Bytes& iv,
            Bytes& plain, Payloads& p, DecodeError& error) const;
  void notify_plain(const Endpoint& local, const Endpoint& remote, uint64_t cky_i, uint64_t cky_r,
                    uint16_t type);
  void send_informational(IsakmpSa& sa, const PayloadWriter& w);
  Header header(const IsakmpSa& sa, uint8_t exchange, uint32_t message_id) const;

  // Phase 1.
  SecurityAssociation phase1_offer(const PeerConfig& peer, bool aggressive) const;
  bool choose_phase1(const SecurityAssociation& offer, const PeerConfig& peer, IsakmpSa& sa,
                     Transform& chosen) const;
  void vendor_ids(PayloadWriter& w, const PeerConfig& peer) const;
  void nat_d(PayloadWriter& w, const IsakmpSa& sa) const;
  void detect_nat(IsakmpSa& sa, const Payloads& p);
  bool derive(IsakmpSa& sa, std::span<const uint8_t> peer_ke);
  Bytes hash_i(const IsakmpSa& sa, std::span<const uint8_t> id_body) const;
  Bytes hash_r(const IsakmpSa& sa, std::span<const uint8_t> id_body) const;
  Id own_id(const IsakmpSa& sa) const;
  bool check_peer_id(IsakmpSa& sa, const Id& id, uint64_t now_ms);
  IsakmpSa* start_phase1(size_t child, uint64_t now_ms);  // nullptr when it could not start
  void on_first_message(const Endpoint& local, const Endpoint& remote,
                        std::span<const uint8_t> message, const Header& h, const Payloads& p,
                        uint64_t now_ms);
  // A phase 1 message after the first: decoded (decrypted from message 5 on), then handed to
  // the step its SA's state awaits.
  void on_phase1(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h, uint64_t now_ms);
  // The steps (phase1.cpp, main_mode.cpp, aggressive_mode.cpp). answer_chosen: false when the
  // negotiation ended there.
  bool answer_chosen(IsakmpSa& sa, const Header& h, const Payloads& p, uint64_t now_ms);
  bool initiator_keys(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void float_after_nat_detection(IsakmpSa& sa, const Payloads& p);
  void main_send_3(IsakmpSa& sa, uint64_t now_ms);
  void main_answer_3(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void main_send_5(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void main_finish(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void aggressive_finish(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void last_from_initiator(IsakmpSa& sa, const Payloads& p, uint64_t now_ms);
  void malformed(IsakmpSa& sa, const DecodeError& error, uint64_t now_ms);
  // The error record and the seed's debugging lines for a message this side cannot make sense of.
  void record_malformed(IsakmpSa& sa, const DecodeError& error, uint64_t now_ms);
  // initial_contact: the peer said INITIAL-CONTACT, so this side's older SAs with it are stale.
  void established(IsakmpSa& sa, bool initial_contact, uint64_t now_ms);
  // Whether sa is this side's only ISAKMP SA with its peer (then it says INITIAL-CONTACT).
  bool first_contact(const IsakmpSa& sa) const;
  static Notification initial_contact_notification(const IsakmpSa& sa);
  static bool initial_contact(const Payloads& p);

  // Quick mode.
  void start_quick(IsakmpSa& sa, size_t child, uint32_t replaces_spi_in, uint64_t now_ms);
  void on_quick(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h, uint64_t now_ms);
  void on_quick_1(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms);
  void on_quick_2(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms);
  void send_quick(IsakmpSa& sa, QuickMode& qm, const PayloadWriter& w, bool await, uint64_t now_ms);
  Transform child_transform(const ChildConfig& c, bool udp) const;
  void install(IsakmpSa& sa, QuickMode& qm, uint64_t now_ms);
  void delete_child(IsakmpSa& sa, size_t index);
  Bytes quick_hash(const IsakmpSa& sa, uint32_t message_id, std::span<const uint8_t> prefix,
                   std::span<const uint8_t> rest) const;

  // Informational.
  void on_informational(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                        uint64_t now_ms);
  void on_notification(IsakmpSa& sa, const Notification& n, bool encrypted, uint64_t now_ms);
  void delete_sa(IsakmpSa& sa);  // tells the peer, then removes

  EngineConfig config_;
  RandomSource* random_ = &system_random();
  std::shared_ptr<uint32_t> conn_ids_ = std::make_shared<uint32_t>(1);
  std::vector<std::unique_ptr<IsakmpSa>> sas_;
  std::unordered_map<uint64_t, IsakmpSa*> by_own_cookie_;
  std::map<std::pair<uint32_t, uint64_t>, IsakmpSa*> by_peer_cookie_;  // responder: a repeated 1st
  std::vector<Datagram> datagrams_;
  std::vector<ChildSaInstall> installs_;
  std::vector<ChildSaRemoval> removals_;
  std::vector<ErrorRecord> errors_;
  KeyLog key_log_;
  size_t half_open_ = 0;
  std::shared_ptr<WorkBudget> budget_ = std::make_shared<WorkBudget>();
  uint64_t busy_ = 0;
  std::vector<uint64_t> auto_attempt_ms_;
  uint64_t next_keepalive_ms_ = 0;
  std::vector<uint32_t> soft_expired_, hard_expired_;  // SPIs the data plane reported
};

}  // namespace vfw::ike::v1
