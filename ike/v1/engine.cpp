// The IKEv1 engine (RFC 2409): its state, the messages in and out, the timers. The exchanges
// are in files of their own: phase1.cpp (main and aggressive mode), quick_mode.cpp,
// informational.cpp.
#include "ike/v1/engine.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {
namespace engine_detail {

uint64_t random64(RandomSource& random) {
  uint64_t v = 0;
  while (v == 0) {
    const Bytes b = random.bytes(8);
    v = (uint64_t{load32(b.data())} << 32) | load32(b.data() + 4);
  }
  return v;
}

// An IPsec SPI: 0-255 are reserved (RFC 4303 2.1).
uint32_t random_spi(RandomSource& random) {
  uint32_t v = 0;
  while (v < 256) v = load32(random.bytes(4).data());
  return v;
}

uint32_t random_message_id(RandomSource& random) {
  uint32_t v = 0;
  while (v == 0) v = load32(random.bytes(4).data());
  return v;
}

Bytes be32(uint32_t v) {
  Bytes b(4);
  store32(b.data(), v);
  return b;
}

Bytes cookies(uint64_t cky_i, uint64_t cky_r) {
  Bytes b(16);
  store32(b.data(), static_cast<uint32_t>(cky_i >> 32));
  store32(b.data() + 4, static_cast<uint32_t>(cky_i));
  store32(b.data() + 8, static_cast<uint32_t>(cky_r >> 32));
  store32(b.data() + 12, static_cast<uint32_t>(cky_r));
  return b;
}

void append(Bytes& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

bool equal_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Lifetimes lifetimes_of(const std::vector<Attribute>& attributes, uint16_t type_attribute,
                       uint16_t duration_attribute) {
  Lifetimes out;
  for (size_t i = 0; i + 1 < attributes.size(); ++i) {
    if (attributes[i].type != type_attribute || attributes[i + 1].type != duration_attribute)
      continue;
    (attributes[i].value == life::kSeconds ? out.seconds : out.kilobytes) = attributes[i + 1].value;
  }
  return out;
}

// The shorter of this side's lifetime and the peer's (0: this side sets none).
uint32_t shorter(uint32_t own, std::optional<uint32_t> peer) {
  if (!peer) return own;
  return own == 0 ? *peer : std::min(own, *peer);
}

// Whether the peer's ESP or AH transform is this side's own (the draft's UDP encapsulation
// values read as RFC 3947's); lifetimes are not compared: the shorter wins.
bool same_transform(const Transform& t, const Transform& own) {
  auto mode = t.find(ipsec_attr::kEncapsulation).value_or(encapsulation::kTunnel);
  if (mode == encapsulation::kUdpTunnelDraft) mode = encapsulation::kUdpTunnel;
  if (mode == encapsulation::kUdpTransportDraft) mode = encapsulation::kUdpTransport;
  return t.id == own.id && mode == own.find(ipsec_attr::kEncapsulation) &&
         t.find(ipsec_attr::kAuthentication) == own.find(ipsec_attr::kAuthentication) &&
         t.find(ipsec_attr::kKeyLength).value_or(0) ==
             own.find(ipsec_attr::kKeyLength).value_or(0) &&
         t.find(ipsec_attr::kGroup) == own.find(ipsec_attr::kGroup);
}

// The integrity algorithm the SA runs: the configured one, but SHA-256 cut to 96 bits under
// `ipsec sha2 compatible enable` (the attribute on the wire is the same).
ipsec::Authentication wire_to_sa(const ChildConfig& c) {
  if (c.sha2_compatible && c.authentication == ipsec::Authentication::Sha256)
    return ipsec::Authentication::Sha256Truncated96;
  return c.authentication;
}

// What a quick mode for this policy entry installs, before the lifetimes are agreed.
ChildChoice choice_for(const ChildConfig& c, bool udp) {
  ChildChoice choice;
  choice.protocol = c.protocol;
  choice.encryption = c.protocol == protocol::kEsp ? c.encryption : ipsec::Encryption::None;
  choice.authentication = wire_to_sa(c);
  choice.tunnel = c.tunnel;
  choice.udp = udp;
  choice.lifetime_seconds = c.lifetime_seconds;
  choice.lifetime_kilobytes = c.lifetime_kilobytes;
  return choice;
}

std::string hex_id(const Id& id) {
  if (auto ts = selector_of(id)) {
    if (ts->start == ts->end) return to_string(ts->start);
    return to_string(ts->start) + "-" + to_string(ts->end);
  }
  return "ID type " + std::to_string(id.type);
}

bool within(const TrafficSelector& inner, const TrafficSelector& outer) {
  return inner.start.v >= outer.start.v && inner.end.v <= outer.end.v &&
         (outer.ip_protocol == 0 || outer.ip_protocol == inner.ip_protocol) &&
         inner.start_port >= outer.start_port && inner.end_port <= outer.end_port;
}

Identification identification(const Id& id) {
  Identification out;
  out.type = id.type;
  out.data = id.data;
  return out;
}

std::string transform_text(const Transform& t) {
  std::string s;
  const auto enc = t.find(attr::kEncryption);
  const auto* cipher =
      enc ? find_cipher(static_cast<uint16_t>(*enc),
                        static_cast<uint16_t>(t.find(attr::kKeyLength).value_or(0)))
          : nullptr;
  const auto hash = t.find(attr::kHash);
  const auto* h = hash ? find_hash(static_cast<uint16_t>(*hash)) : nullptr;
  const auto group = t.find(attr::kGroup);
  s += cipher != nullptr ? std::string(cipher->display)
                         : "encryption " + std::to_string(enc.value_or(0));
  s += "/";
  s += h != nullptr ? std::string(h->display) : "hash " + std::to_string(hash.value_or(0));
  s += "/group" + std::to_string(group.value_or(0));
  if (t.find(attr::kAuthMethod).value_or(0) != kAuthPreSharedKey)
    s += "/auth-method " + std::to_string(t.find(attr::kAuthMethod).value_or(0));
  return s;
}

}  // namespace engine_detail

using namespace engine_detail;

Engine::Engine(EngineConfig config) : config_(std::move(config)) {}

uint64_t Engine::soft_ms(uint64_t start, uint32_t seconds) {
  return start + uint64_t{seconds} * 900;  // 90% of the lifetime, in milliseconds
}

IsakmpSa* Engine::find(const Header& h) {
  if (h.cky_r != 0) {
    auto it = by_own_cookie_.find(h.cky_r);
    if (it != by_own_cookie_.end() && !it->second->initiator && it->second->cky_i == h.cky_i)
      return it->second;
  }
  auto it = by_own_cookie_.find(h.cky_i);
  if (it != by_own_cookie_.end() && it->second->initiator &&
      (it->second->cky_r == 0 || h.cky_r == 0 || it->second->cky_r == h.cky_r))
    return it->second;
  return nullptr;
}

IsakmpSa& Engine::create(bool initiator, const Endpoint& local, const Endpoint& remote, size_t peer,
                         uint64_t now_ms) {
  auto sa = std::make_unique<IsakmpSa>();
  sa->conn_id = new_conn_id();
  sa->initiator = initiator;
  sa->local = local;
  sa->remote = remote;
  sa->peer = peer;
  sa->created_ms = now_ms;
  sa->last_heard_ms = now_ms;
  uint64_t own = random64(*random_);
  while (by_own_cookie_.count(own) != 0) own = random64(*random_);
  (initiator ? sa->cky_i : sa->cky_r) = own;
  by_own_cookie_[own] = sa.get();
  sas_.push_back(std::move(sa));
  return *sas_.back();
}

void Engine::remove(IsakmpSa* sa) {
  if (!sa->initiator && !sa->established()) --half_open_;
  for (const auto& c : sa->children)
    removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  by_own_cookie_.erase(sa->initiator ? sa->cky_i : sa->cky_r);
  if (!sa->initiator) by_peer_cookie_.erase({sa->remote.address.v, sa->cky_i});
  for (Bytes* b :
       {&sa->keys.skeyid, &sa->keys.d, &sa->keys.a, &sa->keys.e, &sa->keys.encryption, &sa->shared})
    wipe(*b);
  std::erase_if(sas_, [&](const auto& p) { return p.get() == sa; });
}

void Engine::record(const IsakmpSa* sa, Ipv4 peer, uint16_t port, Failure reason,
                    const std::string& detail, uint16_t notify, uint64_t now_ms) {
  ErrorRecord e = ErrorRecord::make(peer, port, reason, detail, notify, now_ms, 1);
  if (sa != nullptr) {
    e.peer_index = sa->peer;
    e.child = sa->child;
  }
  errors_.push_back(std::move(e));
}

void Engine::fail(IsakmpSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                  uint64_t now_ms) {
  record(&sa, sa.remote.address, sa.remote.port, reason, detail, notify, now_ms);
  remove(&sa);
}

void Engine::transmit(const Endpoint& local, const Endpoint& remote, Bytes message) {
  datagrams_.push_back({local, remote, std::move(message), false});
}

void Engine::send_flight(IsakmpSa& sa, Flight& flight, Bytes message, bool await, uint64_t now_ms) {
  flight.message = message;
  flight.awaiting = await;
  flight.count = 0;
  flight.at_ms = now_ms + kRetransmitBaseMs;
  transmit(sa.local, sa.remote, std::move(message));
}

Header Engine::header(const IsakmpSa& sa, uint8_t exchange, uint32_t message_id) const {
  Header h;
  h.cky_i = sa.cky_i;
  h.cky_r = sa.cky_r;
  h.exchange = exchange;
  h.message_id = message_id;
  return h;
}

Bytes Engine::seal(Header h, const PayloadWriter& w, const IsakmpSa& sa, Bytes& iv) const {
  // RFC 2409 5.3 / RFC 2408 3.1: the payloads padded with zeros to the block size, encrypted in
  // CBC with the exchange's IV; the last cipher block is the next message's IV.
  Bytes body = w.bytes();
  const size_t block = sa.cipher->block_bytes;
  body.resize((body.size() + block - 1) / block * block, 0);
  if (!cbc(*sa.cipher, sa.keys.encryption, iv, body, true))
    throw CryptoFailure(std::string(sa.cipher->openssl) + " is not available in OpenSSL");
  iv.assign(body.end() - static_cast<long>(block), body.end());
  h.flags |= flag::kEncryption;
  h.next_payload = w.first();
  h.length = static_cast<uint32_t>(kHeaderBytes + body.size());
  Bytes out(kHeaderBytes);
  encode_header(h, out.data());
  append(out, body);
  return out;
}

bool Engine::open(std::span<const uint8_t> message, const Header& h, const IsakmpSa& sa, Bytes& iv,
                  Bytes& plain, Payloads& p, DecodeError& error) const {
  const size_t block = sa.cipher->block_bytes;
  plain.assign(message.begin() + kHeaderBytes, message.begin() + h.length);
  if (plain.empty() || plain.size() % block != 0) {
    error.notify = notify::kPayloadMalformed;
    error.reason = "encrypted body of " + std::to_string(plain.size()) +
                   " bytes is not a whole number of blocks";
    return false;
  }
  const Bytes next_iv(plain.end() - static_cast<long>(block), plain.end());
  if (!cbc(*sa.cipher, sa.keys.encryption, iv, plain, false)) {
    error.notify = notify::kPayloadMalformed;
    error.reason = std::string(sa.cipher->openssl) + " is not available in OpenSSL";
    return false;
  }
  iv = next_iv;
  return decode_payloads(plain, h.next_payload, p, error);
}

void Engine::notify_plain(const Endpoint& local, const Endpoint& remote, uint64_t cky_i,
                          uint64_t cky_r, uint16_t type) {
  // Before phase 1 has keys, an error can only go unprotected (RFC 2408 5.1).
  PayloadWriter w;
  Notification n;
  n.protocol = protocol::kIsakmp;
  n.type = type;
  n.spi = cookies(cky_i, cky_r);
  w.notification(n);
  Header h;
  h.cky_i = cky_i;
  h.cky_r = cky_r;
  h.exchange = exchange::kInformational;
  transmit(local, remote, encode_message(h, w));
}

bool Engine::initiate(size_t child, uint64_t now_ms) {
  try {
    return start(child, now_ms);
  } catch (const CryptoFailure& e) {
    const ChildConfig* c = child < config_.children.size() ? &config_.children[child] : nullptr;
    const PeerConfig* peer =
        c != nullptr && c->peer < config_.peers.size() ? &config_.peers[c->peer] : nullptr;
    record(nullptr, peer != nullptr && peer->remote_address ? *peer->remote_address : Ipv4{},
           kIkePort, Failure::CryptoUnavailable, e.what(), 0, now_ms);
    return false;
  }
}

bool Engine::start(size_t child, uint64_t now_ms) {
  if (child >= config_.children.size()) return false;
  const ChildConfig& c = config_.children[child];
  const PeerConfig& peer = config_.peers[c.peer];
  if (c.responder_only || !peer.remote_address || !peer.version1 || peer.version2) return false;
  // One pair of IPsec SAs per policy entry: none when one exists or is being negotiated.
  for (const auto& sa : sas_) {
    if (sa->peer != c.peer) continue;
    if (std::any_of(sa->children.begin(), sa->children.end(),
                    [&](const ChildSa& x) { return x.child == child; }))
      return false;
    if (std::any_of(sa->quick.begin(), sa->quick.end(),
                    [&](const auto& q) { return q->child == child && !q->done; }))
      return false;
    if (std::find(sa->waiting.begin(), sa->waiting.end(), child) != sa->waiting.end()) return false;
  }
  for (auto& sa : sas_) {
    if (sa->peer != c.peer || sa->replaced) continue;
    if (sa->established()) {
      start_quick(*sa, child, 0, now_ms);
    } else {
      sa->waiting.push_back(child);
    }
    return true;
  }
  start_phase1(child, now_ms);
  return true;
}

void Engine::receive(const Endpoint& local, const Endpoint& remote,
                     std::span<const uint8_t> message, uint64_t now_ms) {
  try {
    handle(local, remote, message, now_ms);
  } catch (const CryptoFailure& e) {
    record(nullptr, remote.address, remote.port, Failure::CryptoUnavailable, e.what(), 0, now_ms);
  }
}

void Engine::handle(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
                    uint64_t now_ms) {
  DecodeError error;
  const auto h = decode_header(message, error);
  if (!h) return;  // nothing here can be trusted enough to answer
  const std::span<const uint8_t> m = message.first(h->length);

  if ((h->exchange == exchange::kMain || h->exchange == exchange::kAggressive) && h->cky_r == 0) {
    auto it = by_peer_cookie_.find({remote.address.v, h->cky_i});
    if (it != by_peer_cookie_.end()) {
      IsakmpSa& sa = *it->second;
      if (equal_bytes(sa.flight.received, m) && !sa.flight.message.empty())
        transmit(sa.local, sa.remote, sa.flight.message);
      return;
    }
    if ((h->flags & flag::kEncryption) != 0) return;
    Payloads p;
    if (!decode_payloads(m.subspan(kHeaderBytes), h->next_payload, p, error)) {
      record(nullptr, remote.address, remote.port, Failure::MalformedPayload, error.reason,
             error.notify, now_ms);
      last_error().debug_before.push_back("17:1053 Message from peer " + to_string(remote.address) +
                                          ": " + error.reason);
      notify_plain(local, remote, h->cky_i, 0, error.notify);
      return;
    }
    on_first_message(local, remote, m, *h, p, now_ms);
    return;
  }

  // A message for no SA of this side's (an informational about one it forgot, a stray) is
  // dropped: nothing authenticates it.
  IsakmpSa* sa = find(*h);
  if (sa == nullptr) return;
  // A message on port 4500 comes from wherever the peer's NAT maps its 4500 (RFC 3947 4).
  if (local.port == kNatTraversalPort) {
    sa->remote = remote;
    sa->local.port = kNatTraversalPort;
  }
  sa->last_heard_ms = now_ms;
  sa->dpd_tries = 0;
  switch (h->exchange) {
    case exchange::kMain:
    case exchange::kAggressive:
      on_phase1(*sa, m, *h, now_ms);
      break;
    case exchange::kQuick:
      if (sa->established()) on_quick(*sa, m, *h, now_ms);
      break;
    case exchange::kInformational:
      on_informational(*sa, m, *h, now_ms);
      break;
    default:
      break;
  }
}

void Engine::malformed(IsakmpSa& sa, const DecodeError& error, uint64_t now_ms) {
  // What the seed shows of a pre-shared key mismatch: the responder cannot make sense of the
  // decrypted message 5, logs the chain it found, and tells the initiator PAYLOAD-MALFORMED.
  record_malformed(sa, error, now_ms);
  notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kPayloadMalformed);
  remove(&sa);
}

void Engine::record_malformed(IsakmpSa& sa, const DecodeError& error, uint64_t now_ms) {
  const std::string from = "Message from peer " + to_string(sa.remote.address) + ": ";
  record(&sa, sa.remote.address, sa.remote.port, Failure::MalformedPayload,
         error.reason + " (the pre-shared keys differ, or the message was damaged)",
         notify::kPayloadMalformed, now_ms);
  auto& lines = last_error().debug_before;
  lines.push_back((error.notify == notify::kInvalidPayloadType ? "17:1053 " : "17:1054 ") + from +
                  error.reason);
  if (error.notify == notify::kInvalidPayloadType)
    lines.push_back("17:6847 " + from + "dropping Message due to notification type " +
                    notify_name(error.notify));
  lines.push_back("17:4538 " + from + "Message Sort Error Occurred");
}

// The SPI alone names the SA pair (both directions' SPIs are this engine's to look up).
void Engine::traffic_lifetime(uint32_t spi, bool /*inbound*/, bool hard) {
  (hard ? hard_expired_ : soft_expired_).push_back(spi);
}

void Engine::tick(uint64_t now_ms) {
  try {
    run_timers(now_ms);
  } catch (const CryptoFailure& e) {
    record(nullptr, Ipv4{}, kIkePort, Failure::CryptoUnavailable, e.what(), 0, now_ms);
  }
}

void Engine::run_timers(uint64_t now_ms) {
  // Traffic lifetimes the data plane reported.
  for (auto& sa : sas_) {
    for (auto& c : sa->children) {
      auto has = [&](const std::vector<uint32_t>& v) {
        return std::find(v.begin(), v.end(), c.spi_in) != v.end() ||
               std::find(v.begin(), v.end(), c.spi_out) != v.end();
      };
      if (has(hard_expired_)) c.expire_at_ms = now_ms;
      if (has(soft_expired_)) c.rekey_at_ms = std::min(c.rekey_at_ms, now_ms);
    }
  }
  soft_expired_.clear();
  hard_expired_.clear();

  std::vector<IsakmpSa*> all;
  for (auto& sa : sas_) all.push_back(sa.get());
  for (IsakmpSa* sa : all) {
    // A responder's phase 1 that has not completed in kHalfOpenMs is abandoned (or spoofed):
    // forgotten without a record, as IKEv2 forgets its half-open SAs.
    if (!sa->initiator && !sa->established() && now_ms >= sa->created_ms + kHalfOpenMs) {
      remove(sa);
      continue;
    }
    // Retransmission of phase 1.
    if (sa->flight.awaiting && now_ms >= sa->flight.at_ms) {
      if (sa->flight.count >= kMaxRetransmits) {
        if (!sa->initiator && !sa->established()) {
          remove(sa);  // a half-open SA the peer abandoned (or a spoofed source): no record
          continue;
        }
        fail(*sa, Failure::ExchangeTimeout,
             sa->established() ? "no answer" : "phase 1 got no answer from the peer", 0, now_ms);
        continue;
      }
      ++sa->flight.count;
      sa->flight.at_ms = now_ms + (kRetransmitBaseMs << sa->flight.count);
      transmit(sa->local, sa->remote, sa->flight.message);
    }
    if (!sa->established()) continue;
    // Quick modes: retransmission, timeout, and forgetting finished ones.
    for (size_t i = 0; i < sa->quick.size();) {
      QuickMode& q = *sa->quick[i];
      if (q.done && now_ms >= q.started_ms + kQuickLingerMs) {
        sa->quick.erase(sa->quick.begin() + static_cast<long>(i));
        continue;
      }
      if (q.flight.awaiting && now_ms >= q.flight.at_ms) {
        if (q.flight.count >= kMaxRetransmits) {
          record(sa, sa->remote.address, sa->remote.port, Failure::ExchangeTimeout,
                 "quick mode got no answer from the peer", 0, now_ms);
          last_error().child = q.child;
          sa->quick.erase(sa->quick.begin() + static_cast<long>(i));
          continue;
        }
        ++q.flight.count;
        q.flight.at_ms = now_ms + (kRetransmitBaseMs << q.flight.count);
        transmit(sa->local, sa->remote, q.flight.message);
      }
      ++i;
    }
    // IPsec SA lifetimes: renew at the soft one, delete at the hard one.
    for (size_t i = 0; i < sa->children.size();) {
      ChildSa& c = sa->children[i];
      if (now_ms >= c.expire_at_ms) {
        delete_child(*sa, i);
        continue;
      }
      if (now_ms >= c.rekey_at_ms && c.child < config_.children.size() && !sa->replaced) {
        c.rekey_at_ms = UINT64_MAX;
        start_quick(*sa, c.child, c.spi_in, now_ms);
      }
      ++i;
    }
    // ISAKMP SA lifetime: a new phase 1 at the soft one (it takes the IPsec SAs over), gone at
    // the hard one.
    if (now_ms >= sa->expire_at_ms) {
      delete_sa(*sa);
      continue;
    }
    if (now_ms >= sa->rekey_at_ms && !sa->replaced && sa->child < config_.children.size()) {
      sa->rekey_at_ms = UINT64_MAX;
      if (IsakmpSa* fresh = start_phase1(sa->child, now_ms)) fresh->waiting.clear();
      continue;
    }
    // DPD (RFC 3706): after dpd_seconds without a word from the peer, R-U-THERE; five
    // unanswered ones and the peer is dead.
    const uint32_t dpd = config_.peers[sa->peer].dpd_seconds;
    if (dpd != 0 && sa->peer_dpd) {
      if (sa->dpd_sent_ms != 0 && now_ms >= sa->dpd_sent_ms + kRetransmitBaseMs) {
        if (++sa->dpd_tries > kMaxRetransmits) {
          record(sa, sa->remote.address, sa->remote.port, Failure::DpdTimeout,
                 "the peer answered no R-U-THERE", 0, now_ms);
          remove(sa);
          continue;
        }
        sa->dpd_sent_ms = 0;
      }
      if (sa->dpd_sent_ms == 0 &&
          (now_ms >= sa->last_heard_ms + uint64_t{dpd} * 1000 || sa->dpd_tries > 0)) {
        PayloadWriter w;
        Notification n;
        n.type = notify::kRUThere;
        n.spi = cookies(sa->cky_i, sa->cky_r);
        n.data = be32(++sa->dpd_sequence);
        w.notification(n);
        send_informational(*sa, w);
        sa->dpd_sent_ms = now_ms;
        if (sa->dpd_tries == 0) sa->dpd_tries = 1;
      }
    }
  }
  // sa trigger-mode auto: negotiate entries that have no SAs.
  auto_attempt_ms_.resize(config_.children.size(), 0);
  for (size_t i = 0; i < config_.children.size(); ++i) {
    const ChildConfig& c = config_.children[i];
    if (!c.auto_negotiate || c.responder_only) continue;
    if (auto_attempt_ms_[i] != 0 && now_ms < auto_attempt_ms_[i] + kAutoRetryMs) continue;
    if (initiate(i, now_ms)) auto_attempt_ms_[i] = now_ms;
  }
  // NAT keepalives from the side behind the NAT (RFC 3947 4, RFC 3948 4).
  if (now_ms >= next_keepalive_ms_) {
    next_keepalive_ms_ = now_ms + kKeepaliveMs;
    for (const auto& sa : sas_) {
      if (sa->established() && sa->nat_local)
        datagrams_.push_back({sa->local, sa->remote, Bytes{0xff}, true});
    }
  }
}

uint64_t Engine::next_timer_ms() const {
  uint64_t next = UINT64_MAX;
  for (const auto& sa : sas_) {
    if (sa->flight.awaiting) next = std::min(next, sa->flight.at_ms);
    if (!sa->initiator && !sa->established()) next = std::min(next, sa->created_ms + kHalfOpenMs);
    for (const auto& q : sa->quick) {
      if (q->flight.awaiting) next = std::min(next, q->flight.at_ms);
      if (q->done) next = std::min(next, q->started_ms + kQuickLingerMs);
    }
    for (const auto& c : sa->children) next = std::min({next, c.rekey_at_ms, c.expire_at_ms});
    next = std::min({next, sa->rekey_at_ms, sa->expire_at_ms});
    const uint32_t dpd = config_.peers[sa->peer].dpd_seconds;
    if (sa->established() && dpd != 0 && sa->peer_dpd) {
      next = std::min(next, sa->dpd_sent_ms != 0 ? sa->dpd_sent_ms + kRetransmitBaseMs
                                                 : sa->last_heard_ms + uint64_t{dpd} * 1000);
    }
    if (sa->established() && sa->nat_local) next = std::min(next, next_keepalive_ms_);
  }
  for (size_t i = 0; i < config_.children.size(); ++i) {
    if (config_.children[i].auto_negotiate && !config_.children[i].responder_only) {
      const uint64_t last = i < auto_attempt_ms_.size() ? auto_attempt_ms_[i] : 0;
      next = std::min(next, last == 0 ? 0 : last + kAutoRetryMs);
    }
  }
  return next;
}

// The time is not needed here (a delete needs no answer); the parameter keeps both engines'
// interfaces alike for IkeLink.
void Engine::delete_all(uint64_t /*now_ms*/) {
  while (!sas_.empty()) delete_sa(*sas_.back());
}

void Engine::delete_children(uint64_t /*now_ms*/) {
  for (auto& sa : sas_) {
    while (!sa->children.empty()) delete_child(*sa, sa->children.size() - 1);
  }
}

void Engine::configure(EngineConfig config, uint64_t /*now_ms*/) {
  // The SAs carry on under the new configuration where their peer and policy entry still exist
  // (found by name); the others are deleted, the peer told.
  std::vector<size_t> peer_map(config_.peers.size(), SIZE_MAX);
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    for (size_t j = 0; j < config.peers.size(); ++j) {
      if (config.peers[j].name == config_.peers[i].name && config.peers[j].version1)
        peer_map[i] = j;
    }
  }
  std::vector<size_t> child_map(config_.children.size(), SIZE_MAX);
  for (size_t i = 0; i < config_.children.size(); ++i) {
    for (size_t j = 0; j < config.children.size(); ++j) {
      if (config.children[j].policy == config_.children[i].policy &&
          config.children[j].seq == config_.children[i].seq &&
          config.children[j].interface == config_.children[i].interface)
        child_map[i] = j;
    }
  }
  std::vector<IsakmpSa*> gone;
  for (auto& sa : sas_) {
    if (sa->peer >= peer_map.size() || peer_map[sa->peer] == SIZE_MAX) {
      gone.push_back(sa.get());
      continue;
    }
    for (size_t i = 0; i < sa->children.size();) {
      const size_t old = sa->children[i].child;
      if (old >= child_map.size() || child_map[old] == SIZE_MAX) {
        delete_child(*sa, i);
        continue;
      }
      ++i;
    }
  }
  for (IsakmpSa* sa : gone) delete_sa(*sa);
  for (auto& sa : sas_) {
    sa->peer = peer_map[sa->peer];
    sa->child = sa->child < child_map.size() ? child_map[sa->child] : SIZE_MAX;
    for (auto& c : sa->children) c.child = child_map[c.child];
    for (auto& q : sa->quick)
      q->child = q->child < child_map.size() ? child_map[q->child] : SIZE_MAX;
    std::erase_if(sa->quick, [](const auto& q) { return q->child == SIZE_MAX; });
    std::vector<size_t> waiting;
    for (const size_t w : sa->waiting) {
      if (w < child_map.size() && child_map[w] != SIZE_MAX) waiting.push_back(child_map[w]);
    }
    sa->waiting = waiting;
  }
  config_ = std::move(config);
  auto_attempt_ms_.assign(config_.children.size(), 0);
}

}  // namespace vfw::ike::v1
