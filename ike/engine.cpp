#include "ike/engine.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "ike/proposals.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

constexpr size_t kNonceBytes = 32;
// A responder's half-open IKE SA that sees no IKE_AUTH within this long is forgotten.
constexpr uint64_t kHalfOpenLifetimeMs = 30'000;

uint64_t random_spi64(RandomSource& random) {
  for (;;) {
    const Bytes b = random.bytes(8);
    const uint64_t v = (uint64_t{load32(b.data())} << 32) | load32(b.data() + 4);
    if (v != 0) return v;
  }
}

// CHILD SA SPIs: never below 256 (RFC 4303 2.1 reserves 1-255).
uint32_t random_spi32(RandomSource& random) {
  for (;;) {
    const Bytes b = random.bytes(4);
    const uint32_t v = load32(b.data());
    if (v >= 256) return v;
  }
}

// RFC 7296 2.23: SHA-1 of the SPIs as in the header, the address and the port.
Bytes nat_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  uint8_t data[22];
  store32(data, static_cast<uint32_t>(spi_i >> 32));
  store32(data + 4, static_cast<uint32_t>(spi_i));
  store32(data + 8, static_cast<uint32_t>(spi_r >> 32));
  store32(data + 12, static_cast<uint32_t>(spi_r));
  store32(data + 16, e.address.v);
  store16(data + 20, e.port);
  Bytes out(20);
  unsigned int length = 0;
  if (EVP_Digest(data, sizeof data, out.data(), &length, EVP_sha1(), nullptr) != 1) std::abort();
  return out;
}

Bytes sha256(std::span<const uint8_t> message) {
  Bytes out(32);
  unsigned int length = 0;
  if (EVP_Digest(message.data(), message.size(), out.data(), &length, EVP_sha256(), nullptr) != 1)
    std::abort();
  return out;
}

Bytes psk_bytes(const PeerConfig& peer) {
  return Bytes(peer.pre_shared_key.begin(), peer.pre_shared_key.end());
}

}  // namespace

Engine::Engine(EngineConfig config)
    : config_(std::move(config)), cookie_secret_(random_->bytes(32)) {}

void Engine::set_random(RandomSource& random) {
  random_ = &random;
  cookie_secret_ = random_->bytes(32);
}

Bytes Engine::cookie_for(std::span<const uint8_t> ni, Ipv4 address, uint64_t spi_i) const {
  // RFC 7296 2.6: Hash(Ni | IPi | SPIi | secret), here HMAC-SHA-256 keyed with the secret.
  Bytes data(ni.begin(), ni.end());
  uint8_t extra[12];
  store32(extra, address.v);
  store32(extra + 4, static_cast<uint32_t>(spi_i >> 32));
  store32(extra + 8, static_cast<uint32_t>(spi_i));
  data.insert(data.end(), extra, extra + sizeof extra);
  return prf(*find_prf("hmac-sha2-256"), cookie_secret_, data);
}

void Engine::forget_negotiation(IkeSa& sa) {
  // What only IKE_SA_INIT and IKE_AUTH needed: the established SA does not keep it.
  sa.dh.reset();
  wipe(sa.ni);
  wipe(sa.nr);
  sa.init_request = Bytes();
  sa.init_response = Bytes();
  sa.cookie = Bytes();
}

void Engine::configure(EngineConfig config, uint64_t now_ms) {
  // The SAs refer to peers and policy entries by position: find each again by name in the new
  // configuration. One whose peer or policy entry is gone is deleted (the device's "config
  // modify or manual offline"), the peer told; the others carry on.
  auto peer_named = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < config.peers.size(); ++i) {
      if (config.peers[i].name == name) return i;
    }
    return SIZE_MAX;
  };
  auto child_named = [&](size_t old) -> size_t {
    if (old >= config_.children.size()) return SIZE_MAX;
    const ChildConfig& c = config_.children[old];
    for (size_t i = 0; i < config.children.size(); ++i) {
      if (config.children[i].policy == c.policy && config.children[i].seq == c.seq) return i;
    }
    return SIZE_MAX;
  };
  std::vector<IkeSa*> doomed;
  for (const auto& sa : sas_) {
    const size_t peer =
        sa->peer < config_.peers.size() ? peer_named(config_.peers[sa->peer].name) : SIZE_MAX;
    const size_t child = sa->child == SIZE_MAX ? SIZE_MAX : child_named(sa->child);
    bool gone = peer == SIZE_MAX || (sa->child != SIZE_MAX && child == SIZE_MAX);
    for (auto& c : sa->children) {
      c.child = child_named(c.child);
      gone = gone || c.child == SIZE_MAX;
    }
    if (sa->pending.active && sa->pending.child != SIZE_MAX) {
      sa->pending.child = child_named(sa->pending.child);
      gone = gone || sa->pending.child == SIZE_MAX;
    }
    if (gone) {
      doomed.push_back(sa.get());
      continue;
    }
    sa->peer = peer;
    sa->child = child;
  }
  for (IkeSa* sa : doomed) {
    // Told with the old configuration's keys (they are the SA's own), then removed.
    if (sa->state == IkeSaState::Established && !sa->awaiting_response) {
      PayloadWriter w;
      w.del({protocol::kIke, 0, {}});
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
    }
    for (auto& c : sa->children) c.child = SIZE_MAX;
    remove(sa);
  }
  config_ = std::move(config);
  auto_attempt_ms_.assign(config_.children.size(), 0);
}

IkeSa* Engine::find_own(uint64_t own_spi) {
  auto it = by_own_spi_.find(own_spi);
  return it == by_own_spi_.end() ? nullptr : it->second;
}

void Engine::record(Ipv4 peer, uint16_t port, Failure reason, const std::string& detail,
                    uint16_t notify, uint64_t now_ms) {
  errors_.push_back(ErrorRecord::make(peer, port, reason, detail, notify, now_ms, 2));
}

void Engine::record_for(const IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                        uint64_t now_ms) {
  record(sa.remote.address, sa.remote.port, reason, detail, notify, now_ms);
  errors_.back().peer_index = sa.peer;
  errors_.back().child = sa.child;
}

void Engine::fail(IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                  uint64_t now_ms) {
  record_for(sa, reason, detail, notify, now_ms);
  remove(&sa);
}

void Engine::remove(IkeSa* sa) {
  if (sa->state == IkeSaState::InitAnswered) --half_open_;
  for (const auto& c : sa->children) {
    removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  }
  by_own_spi_.erase(sa->initiator ? sa->spi_i : sa->spi_r);
  if (!sa->initiator) by_peer_spi_.erase({sa->remote.address.v, sa->spi_i});
  wipe(sa->keys.d);
  wipe(sa->keys.ai);
  wipe(sa->keys.ar);
  wipe(sa->keys.ei);
  wipe(sa->keys.er);
  wipe(sa->keys.pi);
  wipe(sa->keys.pr);
  wipe(sa->outbound.encryption_key);
  wipe(sa->outbound.integrity_key);
  wipe(sa->inbound.encryption_key);
  wipe(sa->inbound.integrity_key);
  sas_.erase(std::remove_if(sas_.begin(), sas_.end(), [&](const auto& p) { return p.get() == sa; }),
             sas_.end());
}

void Engine::send(IkeSa& sa, Bytes message, bool request, uint64_t now_ms) {
  datagrams_.push_back({sa.local, sa.remote, message});
  if (request) {
    sa.last_request = std::move(message);
    sa.awaiting_response = true;
    sa.retransmits = 0;
    sa.retransmit_at_ms = now_ms + kRetransmitBaseMs;
  } else {
    sa.last_response = std::move(message);
    sa.has_response = true;
  }
}

void Engine::send_protected(IkeSa& sa, uint8_t exchange_type, bool response, uint32_t message_id,
                            const PayloadWriter& inner, uint64_t now_ms) {
  Header h;
  h.spi_i = sa.spi_i;
  h.spi_r = sa.spi_r;
  h.exchange = exchange_type;
  h.flags = static_cast<uint8_t>((sa.initiator ? flag::kInitiator : 0) |
                                 (response ? flag::kResponse : 0));
  h.message_id = message_id;
  auto m = seal_message(h, inner, sa.outbound, *random_);
  if (!m) return;  // OpenSSL failed: nothing sane to send; the peer retransmits or times out
  send(sa, std::move(*m), !response, now_ms);
}

void Engine::answer_unprotected_error(const Endpoint& local, const Endpoint& remote,
                                      const Header& request, uint16_t type,
                                      std::span<const uint8_t> data) {
  Header h;
  h.spi_i = request.spi_i;
  h.spi_r = request.spi_r;
  h.exchange = request.exchange;
  h.flags = flag::kResponse;
  h.message_id = request.message_id;
  PayloadWriter w;
  w.notify(type, data);
  datagrams_.push_back({local, remote, encode_message(h, w)});
}

bool Engine::initiate(size_t child_index, uint64_t now_ms) {
  if (child_index >= config_.children.size()) return false;
  const ChildConfig& child = config_.children[child_index];
  if (child.responder_only || child.peer >= config_.peers.size()) return false;
  const PeerConfig& peer = config_.peers[child.peer];
  // A peer with IKEv2 off (`undo version 2`) is the IKEv1 engine's.
  if (!peer.version2 || !peer.remote_address || peer.proposals.empty()) return false;
  for (const auto& sa : sas_) {
    if (sa->remote.address == *peer.remote_address && sa->child == child_index) return false;
  }
  auto sa = std::make_unique<IkeSa>();
  sa->conn_id = new_conn_id();
  sa->initiator = true;
  sa->spi_i = random_spi64(*random_);
  sa->local = {child.local_address, kIkePort};
  sa->remote = {*peer.remote_address, kIkePort};
  sa->peer = child.peer;
  sa->child = child_index;
  sa->created_ms = now_ms;
  const DhGroup* group =
      peer.proposals.front().dh.empty() ? nullptr : peer.proposals.front().dh.front();
  if (group == nullptr) return false;
  sa->dh = DhKey::generate(*group, *random_);
  if (!sa->dh) return false;
  sa->ni = random_->bytes(kNonceBytes);
  IkeSa& ref = *sa;
  by_own_spi_[sa->spi_i] = sa.get();
  sas_.push_back(std::move(sa));
  send_init_request(ref, now_ms);
  return true;
}

void Engine::send_init_request(IkeSa& sa, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  PayloadWriter w;
  if (!sa.cookie.empty()) w.notify(notify::kCookie, sa.cookie);  // RFC 7296 2.6: first
  w.sa(ike_proposals(peer));
  w.ke({sa.dh->group().number, sa.dh->public_value()});
  w.nonce(sa.ni);
  if (peer.nat_traversal) {
    w.notify(notify::kNatDetectionSourceIp, nat_hash(sa.spi_i, 0, sa.local));
    w.notify(notify::kNatDetectionDestinationIp, nat_hash(sa.spi_i, 0, sa.remote));
  }
  Header h;
  h.spi_i = sa.spi_i;
  h.exchange = exchange::kIkeSaInit;
  h.flags = flag::kInitiator;
  h.message_id = 0;
  sa.next_request_id = 1;
  sa.init_request = encode_message(h, w);
  sa.state = IkeSaState::InitSent;
  send(sa, sa.init_request, true, now_ms);
}

void Engine::receive(const Endpoint& local, const Endpoint& remote,
                     std::span<const uint8_t> message, uint64_t now_ms) {
  DecodeError error;
  const auto h = decode_header(message, error);
  if (!h) return;  // not an IKEv2 message this side can answer: dropped
  Payloads outer;
  const bool outer_ok =
      decode_payloads(message.subspan(kHeaderBytes), h->next_payload, outer, error);

  if (h->exchange == exchange::kIkeSaInit && !h->is_response()) {
    if (!h->from_initiator() || h->spi_r != 0 || h->message_id != 0) return;
    if (!outer_ok) {
      if (error.notify != 0) answer_unprotected_error(local, remote, *h, error.notify, error.data);
      return;
    }
    on_init_request(local, remote, message, *h, outer, now_ms);
    return;
  }
  // Everything else belongs to an IKE SA: the SPI this side chose finds it.
  const uint64_t own_spi = h->from_initiator() ? h->spi_r : h->spi_i;
  IkeSa* sa = find_own(own_spi);
  if (sa == nullptr) return;
  if (h->exchange == exchange::kIkeSaInit) {
    if (sa->initiator && sa->state == IkeSaState::InitSent && outer_ok && h->message_id == 0)
      on_init_response(*sa, message, *h, outer, now_ms);
    return;
  }
  if (!outer_ok || !outer.encrypted || sa->outbound.encryption == nullptr) return;
  // Message IDs (RFC 7296 2.2): a request is the next one expected, or the last one again.
  if (!h->is_response()) {
    if (sa->has_response && h->message_id + 1 == sa->peer_request_id) {
      if (sha256(message) == sa->answered_digest)
        datagrams_.push_back({sa->local, sa->remote, sa->last_response});
      return;
    }
    if (h->message_id != sa->peer_request_id) return;
  } else if (!sa->awaiting_response || h->message_id + 1 != sa->next_request_id) {
    return;
  }
  Payloads inner;
  if (!open_message(message, outer, sa->inbound, inner, error)) {
    // Integrity failure: silence (2.21). Malformed contents of an authentic request:
    // INVALID_SYNTAX.
    if (error.notify != 0 && !h->is_response()) {
      sa->answered_digest = sha256(message);
      PayloadWriter w;
      w.notify(error.notify, error.data);
      ++sa->peer_request_id;
      send_protected(*sa, h->exchange, true, h->message_id, w, now_ms);
      if (sa->state != IkeSaState::Established)
        fail(*sa, Failure::MalformedMessage, error.reason, error.notify, now_ms);
    }
    return;
  }
  sa->last_heard_ms = now_ms;
  if (!h->is_response()) sa->answered_digest = sha256(message);
  // The peer may have moved (NAT-T floats to 4500; a NAT may change the port).
  if (!(remote == sa->remote)) {
    sa->remote = remote;
    sa->local = local;
  }
  if (h->is_response()) {
    sa->awaiting_response = false;
    sa->liveness_check = false;
  }
  switch (h->exchange) {
    case exchange::kIkeAuth:
      if (!h->is_response() && sa->state == IkeSaState::InitAnswered) {
        on_auth_request(*sa, *h, inner, now_ms);
      } else if (h->is_response() && sa->state == IkeSaState::AuthSent) {
        on_auth_response(*sa, inner, now_ms);
      }
      break;
    case exchange::kInformational:
      if (!h->is_response()) {
        on_informational_request(*sa, *h, inner, now_ms);
      } else if (sa->state == IkeSaState::Deleting) {
        remove(sa);
      }
      break;
    case exchange::kCreateChildSa:
      if (!h->is_response() && sa->state == IkeSaState::Established) {
        on_create_child_request(*sa, *h, inner, now_ms);
      } else if (h->is_response() && sa->pending.active) {
        on_create_child_response(*sa, inner, now_ms);
      }
      break;
    default:
      break;
  }
  // The handler may have removed the SA; one that is up drops what negotiating needed.
  if (IkeSa* up = find_own(own_spi);
      up != nullptr && up->state == IkeSaState::Established && !up->init_request.empty())
    forget_negotiation(*up);
}

bool Engine::derive_keys(IkeSa& sa, std::span<const uint8_t> peer_ke) {
  auto shared = sa.dh->shared_secret(peer_ke);
  if (!shared) return false;
  sa.keys = derive_ike_sa_keys(sa.suite, *shared, sa.ni, sa.nr, sa.spi_i, sa.spi_r);
  wipe(*shared);
  SkProtection i_to_r{sa.suite.encryption, sa.suite.integrity, sa.keys.ei, sa.keys.ai, 1};
  SkProtection r_to_i{sa.suite.encryption, sa.suite.integrity, sa.keys.er, sa.keys.ar, 1};
  sa.outbound = sa.initiator ? i_to_r : r_to_i;
  sa.inbound = sa.initiator ? r_to_i : i_to_r;
  return true;
}

void Engine::detect_nat(IkeSa& sa, const Header& h, const Payloads& p, const Endpoint& local,
                        const Endpoint& remote) {
  const Notify* source = p.find_notify(notify::kNatDetectionSourceIp);
  const Notify* destination = p.find_notify(notify::kNatDetectionDestinationIp);
  if (source == nullptr || destination == nullptr) return;  // the peer does not do NAT-T
  // What the peer saw as its own address and ours, against what reached us.
  sa.nat_remote = source->data != nat_hash(h.spi_i, h.spi_r, remote);
  sa.nat_local = destination->data != nat_hash(h.spi_i, h.spi_r, local);
}

void Engine::on_init_request(const Endpoint& local, const Endpoint& remote,
                             std::span<const uint8_t> m, const Header& h, const Payloads& p,
                             uint64_t now_ms) {
  // A retransmission gets the same response.
  if (auto it = by_peer_spi_.find({remote.address.v, h.spi_i}); it != by_peer_spi_.end()) {
    IkeSa* sa = it->second;
    if (sa->state == IkeSaState::InitAnswered && sa->init_request.size() == m.size() &&
        std::equal(m.begin(), m.end(), sa->init_request.begin()))
      datagrams_.push_back({sa->local, sa->remote, sa->init_response});
    return;
  }
  if (half_open_ >= kMaxHalfOpen) return;  // bounded: a flood costs only the newcomers
  if (!p.sa || !p.ke || !p.nonce) {
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  bool proven = false;  // the request returned this side's cookie: its address is the sender's
  if (half_open_ + budget_->recently_wasted(now_ms) >= kCookieThreshold ||
      budget_->under_pressure(now_ms)) {
    const Bytes cookie = cookie_for(*p.nonce, remote.address, h.spi_i);
    const bool first = !p.order.empty() && p.order.front() == payload::kNotify &&
                       p.notifies.front().type == notify::kCookie;
    if (!first || p.notifies.front().data != cookie) {
      if (first) ++refusals_.invalid_cookie;
      ++refusals_.cookies_sent;
      answer_unprotected_error(local, remote, h, notify::kCookie, cookie);
      return;
    }
    proven = true;
  }
  // The peers this request may come from: by address, or any for a template's peer.
  std::vector<size_t> candidates;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (!peer.version2) continue;  // `undo version 2`: IKEv2 is not answered for this peer
    if (peer.remote_address ? *peer.remote_address == remote.address : peer.any_address)
      candidates.push_back(i);
  }
  if (candidates.empty()) {
    // A peer of that address that speaks IKEv1 only is a version mismatch, not a missing peer.
    const auto v1_only =
        std::find_if(config_.peers.begin(), config_.peers.end(), [&](const auto& other) {
          return !other.version2 && other.remote_address && *other.remote_address == remote.address;
        });
    if (v1_only != config_.peers.end()) {
      record(remote.address, remote.port, Failure::VersionMismatch,
             "ike peer " + v1_only->name + " has IKEv2 off (undo version 2); the peer sent IKEv2",
             notify::kNoProposalChosen, now_ms);
    } else {
      record(remote.address, remote.port, Failure::PeerAddressMismatch,
             "no ike peer has remote-address " + to_string(remote.address),
             notify::kNoProposalChosen, now_ms);
    }
    answer_unprotected_error(local, remote, h, notify::kNoProposalChosen, {});
    return;
  }
  std::optional<IkeChoice> choice;
  size_t peer_index = 0;
  for (const size_t i : candidates) {
    choice = choose_ike(*p.sa, config_.peers[i], p.ke->group);
    if (choice) {
      peer_index = i;
      break;
    }
  }
  if (!choice) {
    std::string offered;
    for (const auto& prop : *p.sa) offered += (offered.empty() ? "" : "; ") + describe(prop);
    record(remote.address, remote.port, Failure::Phase1ProposalMismatch, "peer offered " + offered,
           notify::kNoProposalChosen, now_ms);
    answer_unprotected_error(local, remote, h, notify::kNoProposalChosen, {});
    return;
  }
  if (choice->suite.dh->number != p.ke->group) {
    // RFC 7296 1.2: the group this side wants, for the initiator to retry with.
    uint8_t group[2];
    store16(group, choice->suite.dh->number);
    answer_unprotected_error(local, remote, h, notify::kInvalidKePayload, group);
    return;
  }
  // The cheap checks of the peer's value first; then the budget; then the work.
  if (!DhKey::plausible(*choice->suite.dh, p.ke->data)) {
    ++refusals_.responder_dh_mismatch;
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  if (!budget_->charge(*choice->suite.dh, now_ms, proven)) {
    ++refusals_.busy;
    return;  // not answered: the initiator retransmits (RFC 7296 2.1)
  }
  auto sa = std::make_unique<IkeSa>();
  sa->conn_id = new_conn_id();
  sa->initiator = false;
  sa->spi_i = h.spi_i;
  sa->spi_r = random_spi64(*random_);
  sa->local = local;
  sa->remote = remote;
  sa->peer = peer_index;
  sa->child = SIZE_MAX;
  sa->created_ms = now_ms;
  sa->suite = choice->suite;
  sa->lifetime_seconds = choice->config->lifetime_seconds;
  sa->dh = DhKey::generate(*sa->suite.dh, *random_);
  if (!sa->dh) return;
  sa->ni = *p.nonce;
  sa->nr = random_->bytes(kNonceBytes);
  if (!derive_keys(*sa, p.ke->data)) {
    // The peer's public value is not in the group: the request is malformed, and the work it
    // cost counts towards demanding cookies as a half-open SA would.
    budget_->wasted(now_ms);
    ++refusals_.responder_dh_mismatch;
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  sa->init_request.assign(m.begin(), m.end());
  sa->answered_digest = sha256(m);
  Header rh;
  rh.spi_i = sa->spi_i;
  rh.spi_r = sa->spi_r;
  rh.exchange = exchange::kIkeSaInit;
  rh.flags = flag::kResponse;
  rh.message_id = 0;
  detect_nat(*sa, h, p, local, remote);
  PayloadWriter w;
  w.sa({choice->proposal});
  w.ke({sa->dh->group().number, sa->dh->public_value()});
  w.nonce(sa->nr);
  if (p.find_notify(notify::kNatDetectionSourceIp) != nullptr &&
      config_.peers[peer_index].nat_traversal) {
    w.notify(notify::kNatDetectionSourceIp, nat_hash(sa->spi_i, sa->spi_r, local));
    w.notify(notify::kNatDetectionDestinationIp, nat_hash(sa->spi_i, sa->spi_r, remote));
  }
  sa->init_response = encode_message(rh, w);
  sa->state = IkeSaState::InitAnswered;
  ++half_open_;
  sa->peer_request_id = 1;
  IkeSa& ref = *sa;
  by_own_spi_[sa->spi_r] = sa.get();
  by_peer_spi_[{remote.address.v, sa->spi_i}] = sa.get();
  sas_.push_back(std::move(sa));
  send(ref, ref.init_response, false, now_ms);
}

void Engine::on_init_response(IkeSa& sa, std::span<const uint8_t> m, const Header& h,
                              const Payloads& p, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  if (const Notify* cookie = p.find_notify(notify::kCookie); cookie != nullptr) {
    sa.cookie = cookie->data;  // RFC 7296 2.6: the same request again, with the cookie first
    send_init_request(sa, now_ms);
    return;
  }
  if (const Notify* invalid_ke = p.find_notify(notify::kInvalidKePayload); invalid_ke != nullptr) {
    const DhGroup* group =
        invalid_ke->data.size() == 2 ? find_dh_group(load16(invalid_ke->data.data())) : nullptr;
    bool offered = false;
    for (const auto& prop : peer.proposals) {
      offered = offered || std::find(prop.dh.begin(), prop.dh.end(), group) != prop.dh.end();
    }
    if (group == nullptr || !offered || group == &sa.dh->group()) {
      fail(sa, Failure::Phase1ProposalMismatch,
           "the peer asked for a DH group this side did not offer", notify::kInvalidKePayload,
           now_ms);
      return;
    }
    sa.dh = DhKey::generate(*group, *random_);
    if (!sa.dh) return;
    send_init_request(sa, now_ms);
    return;
  }
  if (const Notify* e = p.error(); e != nullptr) {
    const Failure reason = e->type == notify::kNoProposalChosen ? Failure::Phase1ProposalMismatch
                                                                : Failure::NegotiationRefused;
    fail(sa, reason, "the peer answered " + notify_name(e->type), e->type, now_ms);
    return;
  }
  if (!p.sa || p.sa->size() != 1 || !p.ke || !p.nonce || h.spi_r == 0)
    return;  // malformed: ignored
  auto suite = accept_ike(p.sa->front(), peer);
  if (!suite || suite->dh->number != p.ke->group || &sa.dh->group() != suite->dh) {
    fail(sa, Failure::Phase1ProposalMismatch,
         "the peer chose " + describe(p.sa->front()) + ", not offered", notify::kNoProposalChosen,
         now_ms);
    return;
  }
  sa.suite = *suite;
  sa.spi_r = h.spi_r;
  sa.nr = *p.nonce;
  sa.init_response.assign(m.begin(), m.end());
  for (const auto& prop : peer.proposals) {
    if (std::find(prop.encryption.begin(), prop.encryption.end(), suite->encryption) !=
        prop.encryption.end()) {
      sa.lifetime_seconds = prop.lifetime_seconds;
      break;
    }
  }
  if (!derive_keys(sa, p.ke->data)) {
    fail(sa, Failure::Phase1ProposalMismatch, "the peer's DH public value is not in the group",
         notify::kInvalidSyntax, now_ms);
    return;
  }
  sa.awaiting_response = false;
  detect_nat(sa, h, p, sa.local, sa.remote);
  if (sa.nat_local || sa.nat_remote) {
    // RFC 7296 2.23: behind a NAT, everything after IKE_SA_INIT goes to and from port 4500.
    sa.local.port = kNatTraversalPort;
    sa.remote.port = kNatTraversalPort;
  }

  // IKE_AUTH: who this side is, proof of the PSK, and the first CHILD SA.
  const ChildConfig& child = config_.children[sa.child];
  sa.child_spi = random_spi32(*random_);
  PayloadWriter w;
  w.id(payload::kIdi, peer.local_id);
  if (peer.remote_id) w.id(payload::kIdr, *peer.remote_id);
  const Bytes psk = psk_bytes(peer);
  w.auth({auth_method::kSharedKeyMic,
          psk_auth(*sa.suite.prf, psk, sa.init_request, sa.nr, sa.keys.pi, peer.local_id.body())});
  if (!child.tunnel) w.notify(notify::kUseTransportMode);
  w.sa({child_proposal(child, sa.child_spi, false)});
  w.ts(payload::kTsi, child.local_ts);
  w.ts(payload::kTsr, child.remote_ts);
  sa.state = IkeSaState::AuthSent;
  send_protected(sa, exchange::kIkeAuth, false, sa.next_request_id++, w, now_ms);
}

void Engine::on_auth_request(IkeSa& sa, const Header& h, const Payloads& p, uint64_t now_ms) {
  ++sa.peer_request_id;
  auto refuse = [&](Failure reason, const std::string& detail, uint16_t type) {
    PayloadWriter w;
    w.notify(type);
    send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
    fail(sa, reason, detail, type, now_ms);
  };
  if (!p.idi || !p.auth || !p.sa || !p.tsi || !p.tsr) {
    refuse(Failure::MalformedMessage, "IKE_AUTH request without IDi, AUTH, SA, TSi or TSr",
           notify::kInvalidSyntax);
    return;
  }
  // The peer config this IDi belongs to (remote-id, when set, must be it).
  size_t peer_index = SIZE_MAX;
  std::string wanted;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (peer.remote_address ? *peer.remote_address != sa.remote.address : !peer.any_address)
      continue;
    if (peer.remote_id && *peer.remote_id != *p.idi) {
      wanted += (wanted.empty() ? "" : ", ") + peer.remote_id->text();
      continue;
    }
    if (i == sa.peer || peer_index == SIZE_MAX) peer_index = i;
  }
  if (peer_index == SIZE_MAX) {
    refuse(Failure::ConfigIdMismatch,
           "Peer remote-name(" + p.idi->text() + ") does not match with " + wanted,
           notify::kAuthenticationFailed);
    return;
  }
  sa.peer = peer_index;
  const PeerConfig& peer = config_.peers[peer_index];
  const Bytes psk = psk_bytes(peer);
  const Bytes expected =
      psk_auth(*sa.suite.prf, psk, sa.init_request, sa.nr, sa.keys.pi, p.idi->body());
  if (p.auth->method != auth_method::kSharedKeyMic || expected.size() != p.auth->data.size() ||
      CRYPTO_memcmp(expected.data(), p.auth->data.data(), expected.size()) != 0) {
    refuse(Failure::AuthenticationFail,
           "Authentication failed for the peer " + to_string(sa.remote.address),
           notify::kAuthenticationFailed);
    return;
  }
  // Authenticated: the IKE SA stands whatever becomes of the CHILD SA (RFC 7296 2.21.2).
  sa.peer_id = *p.idi;
  --half_open_;
  sa.state = IkeSaState::Established;
  sa.established_ms = now_ms;
  schedule_ike_lifetime(sa, now_ms);
  PayloadWriter w;
  w.id(payload::kIdr, peer.local_id);
  w.auth({auth_method::kSharedKeyMic,
          psk_auth(*sa.suite.prf, psk, sa.init_response, sa.ni, sa.keys.pr, peer.local_id.body())});

  // The CHILD SA: a policy entry of this peer whose flows meet the peer's and whose proposal
  // matches.
  bool flows_met = false;
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (child.peer != peer_index) continue;
    auto tsi = intersect(*p.tsi, child.remote_ts);
    auto tsr = intersect(*p.tsr, child.local_ts);
    if (tsi.empty() || tsr.empty()) continue;
    flows_met = true;
    if (!child.tunnel != (p.find_notify(notify::kUseTransportMode) != nullptr)) continue;
    uint32_t peer_spi = 0;
    const uint32_t own_spi = random_spi32(*random_);
    auto answer = choose_child(*p.sa, child, own_spi, false, peer_spi);
    if (!answer) continue;
    if (!child.tunnel) w.notify(notify::kUseTransportMode);
    w.sa({*answer});
    w.ts(payload::kTsi, tsi);
    w.ts(payload::kTsr, tsr);
    send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
    sa.child = c;
    install_child(sa, c, own_spi, peer_spi, tsr, tsi, {}, sa.ni, sa.nr, false, now_ms);
    return;
  }
  uint16_t type = notify::kTsUnacceptable;
  if (flows_met) {
    type = notify::kNoProposalChosen;
    std::string offered;
    for (const auto& prop : *p.sa) offered += (offered.empty() ? "" : "; ") + describe(prop);
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch, "peer offered " + offered, type, now_ms);
  } else {
    record_for(sa, Failure::FlowMismatch,
               "peer proposed " + describe(*p.tsi) + " to " + describe(*p.tsr), type, now_ms);
  }
  w.notify(type);
  send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
}

void Engine::on_auth_response(IkeSa& sa, const Payloads& p, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  if (!p.auth || !p.idr) {
    const Notify* e = p.error();
    const uint16_t type = e != nullptr ? e->type : notify::kInvalidSyntax;
    const Failure reason = type == notify::kAuthenticationFailed ? Failure::AuthenticationFail
                           : type == notify::kNoProposalChosen
                               ? Failure::Phase2ProposalOrPfsMismatch
                           : type == notify::kTsUnacceptable ? Failure::FlowMismatch
                                                             : Failure::NegotiationRefused;
    fail(sa, reason, "the peer answered " + notify_name(type), type, now_ms);
    return;
  }
  if (peer.remote_id && *peer.remote_id != *p.idr) {
    fail(sa, Failure::ConfigIdMismatch,
         "Peer remote-name(" + p.idr->text() + ") does not match with " + peer.remote_id->text(),
         notify::kAuthenticationFailed, now_ms);
    return;
  }
  const Bytes expected =
      psk_auth(*sa.suite.prf, psk_bytes(peer), sa.init_response, sa.ni, sa.keys.pr, p.idr->body());
  if (expected.size() != p.auth->data.size() ||
      CRYPTO_memcmp(expected.data(), p.auth->data.data(), expected.size()) != 0) {
    fail(sa, Failure::AuthenticationFail,
         "Authentication failed for the peer " + to_string(sa.remote.address),
         notify::kAuthenticationFailed, now_ms);
    return;
  }
  sa.peer_id = *p.idr;
  sa.state = IkeSaState::Established;
  sa.established_ms = now_ms;
  schedule_ike_lifetime(sa, now_ms);
  const ChildConfig& child = config_.children[sa.child];
  if (const Notify* e = p.error(); e != nullptr) {
    const Failure reason = e->type == notify::kTsUnacceptable
                               ? Failure::FlowMismatch
                               : Failure::Phase2ProposalOrPfsMismatch;
    record_for(sa, reason, "the peer answered " + notify_name(e->type), e->type, now_ms);
    return;
  }
  uint32_t peer_spi = 0;
  if (!p.sa || p.sa->size() != 1 || !accept_child(p.sa->front(), child, false, peer_spi) ||
      !p.tsi || !p.tsr) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               p.sa && !p.sa->empty()
                   ? "the peer chose " + describe(p.sa->front()) + ", not offered"
                   : "the peer's answer has no SA",
               notify::kNoProposalChosen, now_ms);
    return;
  }
  // The peer may narrow the flows, never widen them.
  if (intersect(*p.tsi, child.local_ts) != *p.tsi || intersect(*p.tsr, child.remote_ts) != *p.tsr) {
    record_for(sa, Failure::FlowMismatch,
               "the peer answered " + describe(*p.tsi) + " to " + describe(*p.tsr),
               notify::kTsUnacceptable, now_ms);
    return;
  }
  install_child(sa, sa.child, sa.child_spi, peer_spi, *p.tsi, *p.tsr, {}, sa.ni, sa.nr, true,
                now_ms);
}

void Engine::install_child(IkeSa& sa, size_t child_index, uint32_t spi_in, uint32_t spi_out,
                           const std::vector<TrafficSelector>& local_ts,
                           const std::vector<TrafficSelector>& remote_ts,
                           std::span<const uint8_t> shared, std::span<const uint8_t> ni,
                           std::span<const uint8_t> nr, bool exchange_initiator, uint64_t now_ms) {
  const ChildConfig& child = config_.children[child_index];
  const auto& ei = ipsec::info(child.encryption);
  const auto& ai = ipsec::info(child.authentication);
  const size_t enc_bytes =
      child.protocol == protocol::kEsp ? ei.key_bytes + (ei.aead ? 4U : 0U) : 0U;
  const size_t auth_bytes = (child.protocol == protocol::kAh || !ei.aead) ? ai.key_bytes : 0U;
  Bytes keymat =
      child_keymat(*sa.suite.prf, sa.keys.d, shared, ni, nr, 2 * (enc_bytes + auth_bytes));
  auto slice = [&](size_t at, size_t n) {
    return Bytes(keymat.begin() + static_cast<long>(at),
                 keymat.begin() + static_cast<long>(at + n));
  };
  // RFC 7296 2.17: first the initiator-to-responder SA's keys (encryption, then integrity).
  Bytes i_enc = slice(0, enc_bytes);
  Bytes i_auth = slice(enc_bytes, auth_bytes);
  Bytes r_enc = slice(enc_bytes + auth_bytes, enc_bytes);
  Bytes r_auth = slice(2 * enc_bytes + auth_bytes, auth_bytes);
  wipe(keymat);
  ChildSaInstall in;
  in.child = child_index;
  in.conn_id = new_conn_id();
  in.local = sa.local.address;
  in.remote = sa.remote.address;
  in.udp_encapsulation = sa.nat_local || sa.nat_remote;
  in.remote_port = sa.remote.port;
  in.protocol = child.protocol;
  in.tunnel = child.tunnel;
  in.spi_in = spi_in;
  in.spi_out = spi_out;
  in.encryption = child.protocol == protocol::kEsp ? child.encryption : ipsec::Encryption::None;
  in.authentication = auth_bytes != 0 ? child.authentication : ipsec::Authentication::None;
  in.encryption_key_out = exchange_initiator ? i_enc : r_enc;
  in.authentication_key_out = exchange_initiator ? i_auth : r_auth;
  in.encryption_key_in = exchange_initiator ? r_enc : i_enc;
  in.authentication_key_in = exchange_initiator ? r_auth : i_auth;
  in.local_ts = local_ts;
  in.remote_ts = remote_ts;
  in.lifetime_seconds = child.lifetime_seconds;
  in.lifetime_kilobytes = child.lifetime_kilobytes;
  ChildSa c;
  c.child = child_index;
  c.conn_id = in.conn_id;
  c.protocol = child.protocol;
  c.spi_in = spi_in;
  c.spi_out = spi_out;
  c.established_ms = now_ms;
  // The side that started the IKE SA renews its CHILD SAs first, the other a little later, so
  // that the two seldom rekey the same SA at once; at the hard lifetime an SA not renewed goes.
  const uint64_t life = uint64_t{child.lifetime_seconds} * 1000;
  c.rekey_at_ms = now_ms + (sa.initiator ? life * 9 / 10 : life * 19 / 20);
  c.expire_at_ms = now_ms + life;
  c.local_ts = local_ts;
  c.remote_ts = remote_ts;
  sa.children.push_back(std::move(c));
  installs_.push_back(std::move(in));
}

void Engine::on_informational_request(IkeSa& sa, const Header& h, const Payloads& p,
                                      uint64_t now_ms) {
  ++sa.peer_request_id;
  PayloadWriter w;
  bool delete_ike = false;
  for (const auto& d : p.deletes) {
    if (d.protocol == protocol::kIke) {
      delete_ike = true;
      continue;
    }
    Delete answer{d.protocol, 4, {}};
    for (const auto& spi : d.spis) {
      if (spi.size() != 4) continue;
      const uint32_t peer_spi = load32(spi.data());
      auto it = std::find_if(sa.children.begin(), sa.children.end(), [&](const ChildSa& c) {
        return c.protocol == d.protocol && c.spi_out == peer_spi;
      });
      if (it == sa.children.end()) continue;
      Bytes own(4);
      store32(own.data(), it->spi_in);
      answer.spis.push_back(own);
      removals_.push_back({it->child, it->protocol, it->spi_in, it->spi_out});
      sa.children.erase(it);
    }
    if (!answer.spis.empty()) w.del(answer);
  }
  // An empty request is a liveness check (the device's dpd): an empty answer.
  send_protected(sa, exchange::kInformational, true, h.message_id, w, now_ms);
  if (delete_ike) remove(&sa);
}

void Engine::delete_all(uint64_t now_ms) {
  std::vector<IkeSa*> doomed;
  for (const auto& sa : sas_) doomed.push_back(sa.get());
  for (IkeSa* sa : doomed) {
    if (sa->state == IkeSaState::Established && sa->outbound.encryption != nullptr) {
      PayloadWriter w;
      w.del({protocol::kIke, 0, {}});
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
    }
    remove(sa);
  }
}

void Engine::delete_children(uint64_t now_ms) {
  for (const auto& sa : sas_) {
    if (sa->state != IkeSaState::Established || sa->children.empty()) continue;
    std::map<uint8_t, Delete> by_protocol;
    for (const auto& c : sa->children) {
      Delete& d = by_protocol[c.protocol];
      d.protocol = c.protocol;
      d.spi_size = 4;
      Bytes spi(4);
      store32(spi.data(), c.spi_in);
      d.spis.push_back(spi);
      removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
    }
    sa->children.clear();
    PayloadWriter w;
    for (const auto& [protocol, d] : by_protocol) w.del(d);
    send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
  }
}

void Engine::traffic_lifetime(uint32_t spi, bool inbound, bool hard) {
  for (const auto& sa : sas_) {
    for (auto& c : sa->children) {
      if ((inbound ? c.spi_in : c.spi_out) != spi) continue;
      if (hard) c.expire_at_ms = 0;
      // Once: a rekey already asked for is not asked again.
      if (!hard && c.rekey_at_ms != UINT64_MAX) c.rekey_at_ms = 0;
    }
  }
}

void Engine::tick(uint64_t now_ms) {
  // Lifetimes first: renew what is due, delete what is past its hard lifetime. One exchange at a
  // time per IKE SA (a window of one, RFC 7296 2.3).
  std::vector<IkeSa*> established;
  for (const auto& p : sas_) {
    if (p->state == IkeSaState::Established) established.push_back(p.get());
  }
  for (IkeSa*& sa : established) {
    if (now_ms >= sa->expire_at_ms) {
      if (!sa->awaiting_response) {
        PayloadWriter w;
        w.del({protocol::kIke, 0, {}});
        send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
      }
      remove(sa);
      sa = nullptr;
      continue;
    }
    // A CHILD SA past its hard lifetime goes even while an exchange is under way.
    for (size_t i = sa->children.size(); i-- > 0;) {
      if (now_ms >= sa->children[i].expire_at_ms) delete_child(*sa, i, now_ms);
    }
    if (sa->awaiting_response || sa->pending.active) continue;
    if (now_ms >= sa->rekey_at_ms) {
      start_ike_rekey(*sa, now_ms);
      continue;
    }
    for (size_t i = 0; i < sa->children.size(); ++i) {
      if (now_ms >= sa->children[i].rekey_at_ms) {
        start_child_rekey(*sa, i, now_ms);
        break;
      }
    }
  }
  // Liveness (the device's dpd type periodic): an empty INFORMATIONAL after a quiet spell.
  for (IkeSa* sa : established) {
    if (sa == nullptr) continue;  // removed above
    const uint32_t dpd = config_.peers[sa->peer].dpd_seconds;
    if (dpd == 0 || sa->awaiting_response || sa->pending.active) continue;
    if (now_ms >= std::max(sa->last_heard_ms, sa->established_ms) + uint64_t{dpd} * 1000) {
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, PayloadWriter{},
                     now_ms);
      sa->liveness_check = true;
    }
  }
  // NAT keepalives from the side behind the NAT (RFC 3948 4).
  if (now_ms >= next_keepalive_ms_) {
    next_keepalive_ms_ = now_ms + kKeepaliveMs;
    for (const auto& p : sas_) {
      if (p->state == IkeSaState::Established && p->nat_local)
        datagrams_.push_back({p->local, p->remote, Bytes{0xff}, true});
    }
  }
  // sa trigger-mode auto: the entries that should be up without waiting for traffic.
  auto_attempt_ms_.resize(config_.children.size(), 0);
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (!child.auto_negotiate || child.responder_only) continue;
    if (auto_attempt_ms_[c] != 0 && now_ms < auto_attempt_ms_[c] + kAutoRetryMs) continue;
    const bool up = std::any_of(sas_.begin(), sas_.end(), [&](const auto& p) {
      return std::any_of(p->children.begin(), p->children.end(),
                         [&](const ChildSa& x) { return x.child == c; }) ||
             (p->child == c && p->state != IkeSaState::Established);
    });
    if (up) continue;
    auto_attempt_ms_[c] = now_ms;
    initiate(c, now_ms);
  }
  std::vector<IkeSa*> expired;
  for (const auto& p : sas_) {
    IkeSa& sa = *p;
    if (sa.state == IkeSaState::InitAnswered && now_ms >= sa.created_ms + kHalfOpenLifetimeMs) {
      expired.push_back(&sa);
      continue;
    }
    if (!sa.awaiting_response || now_ms < sa.retransmit_at_ms) continue;
    if (sa.retransmits >= kMaxRetransmits) {
      expired.push_back(&sa);
      continue;
    }
    ++sa.retransmits;
    sa.retransmit_at_ms = now_ms + (kRetransmitBaseMs << sa.retransmits);
    datagrams_.push_back({sa.local, sa.remote, sa.last_request});
  }
  for (IkeSa* sa : expired) {
    if (sa->awaiting_response && sa->state != IkeSaState::Deleting) {
      record_for(*sa, sa->liveness_check ? Failure::DpdTimeout : Failure::ExchangeTimeout,
                 "no answer to " + std::to_string(kMaxRetransmits + 1) + " transmissions", 0,
                 now_ms);
    }
    remove(sa);
  }
}

uint64_t Engine::next_timer_ms() const {
  uint64_t next = UINT64_MAX;
  for (const auto& sa : sas_) {
    if (sa->awaiting_response) next = std::min(next, sa->retransmit_at_ms);
    if (sa->state == IkeSaState::InitAnswered)
      next = std::min(next, sa->created_ms + kHalfOpenLifetimeMs);
    if (sa->state == IkeSaState::Established) {
      next = std::min({next, sa->rekey_at_ms, sa->expire_at_ms});
      if (const uint32_t dpd = config_.peers[sa->peer].dpd_seconds; dpd != 0)
        next =
            std::min(next, std::max(sa->last_heard_ms, sa->established_ms) + uint64_t{dpd} * 1000);
      if (sa->nat_local) next = std::min(next, next_keepalive_ms_);
      for (const auto& c : sa->children) next = std::min({next, c.rekey_at_ms, c.expire_at_ms});
    }
  }
  return next;
}

}  // namespace vfw::ike

namespace vfw::ike {
namespace {

Bytes spi_bytes32(uint32_t spi) {
  Bytes b(4);
  store32(b.data(), spi);
  return b;
}

Bytes spi_bytes64(uint64_t spi) {
  Bytes b(8);
  store32(b.data(), static_cast<uint32_t>(spi >> 32));
  store32(b.data() + 4, static_cast<uint32_t>(spi));
  return b;
}

uint64_t load_spi64(const Bytes& b) {
  return (uint64_t{load32(b.data())} << 32) | load32(b.data() + 4);
}

}  // namespace

void Engine::schedule_ike_lifetime(IkeSa& sa, uint64_t now_ms) {
  const uint64_t life = uint64_t{sa.lifetime_seconds} * 1000;
  sa.rekey_at_ms = now_ms + (sa.initiator ? life * 9 / 10 : life * 19 / 20);
  sa.expire_at_ms = now_ms + life;
}

void Engine::delete_child(IkeSa& sa, size_t index, uint64_t now_ms) {
  const ChildSa c = sa.children[index];
  sa.children.erase(sa.children.begin() + static_cast<long>(index));
  removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  if (sa.awaiting_response) return;  // one request at a time: the peer's own lifetime ends it
  PayloadWriter w;
  w.del({c.protocol, 4, {spi_bytes32(c.spi_in)}});
  send_protected(sa, exchange::kInformational, false, sa.next_request_id++, w, now_ms);
}

void Engine::start_child_rekey(IkeSa& sa, size_t index, uint64_t now_ms) {
  ChildSa& c = sa.children[index];
  const ChildConfig& cfg = config_.children[c.child];
  c.rekey_at_ms = UINT64_MAX;  // asked once; the hard lifetime ends it if this fails
  PendingCreate& pc = sa.pending;
  pc = PendingCreate{};
  pc.active = true;
  pc.child = c.child;
  pc.old_spi_in = c.spi_in;
  pc.spi_in = random_spi32(*random_);
  pc.ni = random_->bytes(kNonceBytes);
  if (cfg.pfs != nullptr) pc.dh = DhKey::generate(*cfg.pfs, *random_);
  PayloadWriter w;
  w.notify(Notify{c.protocol, spi_bytes32(c.spi_in), notify::kRekeySa, {}});
  if (!cfg.tunnel) w.notify(notify::kUseTransportMode);
  w.sa({child_proposal(cfg, pc.spi_in, true)});
  w.nonce(pc.ni);
  if (pc.dh) w.ke({pc.dh->group().number, pc.dh->public_value()});
  w.ts(payload::kTsi, c.local_ts);
  w.ts(payload::kTsr, c.remote_ts);
  send_protected(sa, exchange::kCreateChildSa, false, sa.next_request_id++, w, now_ms);
}

void Engine::start_ike_rekey(IkeSa& sa, uint64_t now_ms) {
  sa.rekey_at_ms = UINT64_MAX;
  PendingCreate& pc = sa.pending;
  pc = PendingCreate{};
  pc.active = true;
  pc.ike = true;
  pc.new_spi = random_spi64(*random_);
  pc.ni = random_->bytes(kNonceBytes);
  pc.dh = DhKey::generate(*sa.suite.dh, *random_);
  if (!pc.dh) {
    pc = PendingCreate{};
    return;
  }
  std::vector<Proposal> proposals = ike_proposals(config_.peers[sa.peer]);
  for (auto& prop : proposals) prop.spi = spi_bytes64(pc.new_spi);
  PayloadWriter w;
  w.sa(proposals);
  w.nonce(pc.ni);
  w.ke({pc.dh->group().number, pc.dh->public_value()});
  send_protected(sa, exchange::kCreateChildSa, false, sa.next_request_id++, w, now_ms);
}

IkeSa& Engine::adopt(IkeSa& sa, bool initiator, uint64_t spi_i, uint64_t spi_r,
                     const IkeSuite& suite, std::span<const uint8_t> shared,
                     std::span<const uint8_t> ni, std::span<const uint8_t> nr, uint64_t now_ms) {
  auto fresh = std::make_unique<IkeSa>();
  fresh->conn_id = new_conn_id();
  fresh->initiator = initiator;
  fresh->state = IkeSaState::Established;
  fresh->spi_i = spi_i;
  fresh->spi_r = spi_r;
  fresh->local = sa.local;
  fresh->remote = sa.remote;
  fresh->peer = sa.peer;
  fresh->child = sa.child;
  fresh->created_ms = now_ms;
  fresh->established_ms = now_ms;
  fresh->nat_local = sa.nat_local;
  fresh->nat_remote = sa.nat_remote;
  fresh->suite = suite;
  fresh->lifetime_seconds = sa.lifetime_seconds;
  fresh->peer_id = sa.peer_id;
  // RFC 7296 2.18: SKEYSEED = prf (SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
  fresh->keys = derive_ike_sa_keys(suite, shared, ni, nr, spi_i, spi_r, sa.keys.d, sa.suite.prf);
  SkProtection i_to_r{suite.encryption, suite.integrity, fresh->keys.ei, fresh->keys.ai, 1};
  SkProtection r_to_i{suite.encryption, suite.integrity, fresh->keys.er, fresh->keys.ar, 1};
  fresh->outbound = initiator ? i_to_r : r_to_i;
  fresh->inbound = initiator ? r_to_i : i_to_r;
  fresh->children = std::move(sa.children);
  sa.children.clear();
  schedule_ike_lifetime(*fresh, now_ms);
  IkeSa& ref = *fresh;
  by_own_spi_[initiator ? spi_i : spi_r] = fresh.get();
  sas_.push_back(std::move(fresh));
  return ref;
}

void Engine::on_create_child_request(IkeSa& sa, const Header& h, const Payloads& p,
                                     uint64_t now_ms) {
  ++sa.peer_request_id;
  auto refuse = [&](uint16_t type, std::span<const uint8_t> data = {}) {
    PayloadWriter w;
    w.notify(type, data);
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
  };
  if (!p.sa || p.sa->empty() || !p.nonce) {
    refuse(notify::kInvalidSyntax);
    return;
  }
  const PeerConfig& peer = config_.peers[sa.peer];
  if (p.sa->front().protocol == protocol::kIke) {
    // Rekeying the IKE SA: the requester becomes the new SA's initiator (RFC 7296 2.18).
    if (!p.ke) {
      refuse(notify::kInvalidSyntax);
      return;
    }
    auto choice = choose_ike(*p.sa, peer, p.ke->group, 8);
    if (!choice) {
      record_for(sa, Failure::RekeyFail, "the peer's IKE SA rekey offers no acceptable proposal",
                 notify::kNoProposalChosen, now_ms);
      refuse(notify::kNoProposalChosen);
      return;
    }
    if (choice->suite.dh->number != p.ke->group) {
      uint8_t group[2];
      store16(group, choice->suite.dh->number);
      refuse(notify::kInvalidKePayload, group);
      return;
    }
    Bytes peer_spi;
    for (const auto& prop : *p.sa) {
      if (prop.number == choice->proposal.number) peer_spi = prop.spi;
    }
    auto dh = DhKey::generate(*choice->suite.dh, *random_);
    auto shared = dh ? dh->shared_secret(p.ke->data) : std::nullopt;
    if (!shared || peer_spi.size() != 8) {
      refuse(notify::kInvalidSyntax);
      return;
    }
    const uint64_t own_spi = random_spi64(*random_);
    const Bytes nr = random_->bytes(kNonceBytes);
    Proposal answer = choice->proposal;
    answer.spi = spi_bytes64(own_spi);
    PayloadWriter w;
    w.sa({answer});
    w.nonce(nr);
    w.ke({dh->group().number, dh->public_value()});
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
    adopt(sa, false, load_spi64(peer_spi), own_spi, choice->suite, *shared, *p.nonce, nr, now_ms);
    wipe(*shared);
    // The old IKE SA stays until the peer deletes it.
    return;
  }
  // A CHILD SA: a rekey (REKEY_SA names the old one) or a new one.
  const Notify* rekey = p.find_notify(notify::kRekeySa);
  if (rekey != nullptr) {
    const bool known = rekey->spi.size() == 4 &&
                       std::any_of(sa.children.begin(), sa.children.end(), [&](const ChildSa& c) {
                         return c.spi_out == load32(rekey->spi.data());
                       });
    if (!known) {
      refuse(notify::kChildSaNotFound);
      return;
    }
  }
  if (!p.tsi || !p.tsr) {
    refuse(notify::kInvalidSyntax);
    return;
  }
  bool flows_met = false;
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (child.peer != sa.peer) continue;
    auto tsi = intersect(*p.tsi, child.remote_ts);
    auto tsr = intersect(*p.tsr, child.local_ts);
    if (tsi.empty() || tsr.empty()) continue;
    flows_met = true;
    if (!child.tunnel != (p.find_notify(notify::kUseTransportMode) != nullptr)) continue;
    // PFS: the entry's group in the KE payload, or no KE payload when it has none.
    if ((child.pfs != nullptr) != p.ke.has_value()) continue;
    if (child.pfs != nullptr && p.ke->group != child.pfs->number) {
      uint8_t group[2];
      store16(group, child.pfs->number);
      refuse(notify::kInvalidKePayload, group);
      return;
    }
    uint32_t peer_spi = 0;
    const uint32_t own_spi = random_spi32(*random_);
    auto answer = choose_child(*p.sa, child, own_spi, true, peer_spi);
    if (!answer) continue;
    std::optional<Bytes> shared;
    std::unique_ptr<DhKey> dh;
    if (child.pfs != nullptr) {
      dh = DhKey::generate(*child.pfs, *random_);
      shared = dh ? dh->shared_secret(p.ke->data) : std::nullopt;
      if (!shared) {
        refuse(notify::kInvalidSyntax);
        return;
      }
    }
    const Bytes nr = random_->bytes(kNonceBytes);
    PayloadWriter w;
    if (!child.tunnel) w.notify(notify::kUseTransportMode);
    w.sa({*answer});
    w.nonce(nr);
    if (dh) w.ke({dh->group().number, dh->public_value()});
    w.ts(payload::kTsi, tsi);
    w.ts(payload::kTsr, tsr);
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
    install_child(sa, c, own_spi, peer_spi, tsr, tsi,
                  shared ? std::span<const uint8_t>(*shared) : std::span<const uint8_t>(), *p.nonce,
                  nr, false, now_ms);
    if (shared) wipe(*shared);
    return;  // a rekeyed CHILD SA stays until the peer deletes it
  }
  if (flows_met) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               "CREATE_CHILD_SA offered no acceptable proposal", notify::kNoProposalChosen, now_ms);
    refuse(notify::kNoProposalChosen);
  } else {
    record_for(sa, Failure::FlowMismatch,
               "CREATE_CHILD_SA proposed " + describe(*p.tsi) + " to " + describe(*p.tsr),
               notify::kTsUnacceptable, now_ms);
    refuse(notify::kTsUnacceptable);
  }
}

void Engine::on_create_child_response(IkeSa& sa, const Payloads& p, uint64_t now_ms) {
  PendingCreate pc = std::move(sa.pending);
  sa.pending = PendingCreate{};
  if (const Notify* e = p.error(); e != nullptr || !p.sa || p.sa->size() != 1 || !p.nonce) {
    const uint16_t type = e != nullptr ? e->type : notify::kInvalidSyntax;
    const Failure reason = pc.ike                            ? Failure::RekeyFail
                           : type == notify::kTsUnacceptable ? Failure::FlowMismatch
                           : type == notify::kNoProposalChosen
                               ? Failure::Phase2ProposalOrPfsMismatch
                               : Failure::RekeyFail;
    record_for(sa, reason, "the peer answered the rekey with " + notify_name(type), type, now_ms);
    return;
  }
  if (pc.ike) {
    const Proposal& chosen = p.sa->front();
    auto suite = accept_ike(chosen, config_.peers[sa.peer]);
    auto shared = (suite && p.ke && pc.dh && p.ke->group == pc.dh->group().number)
                      ? pc.dh->shared_secret(p.ke->data)
                      : std::nullopt;
    if (!suite || !shared || chosen.spi.size() != 8) {
      record_for(sa, Failure::RekeyFail, "the peer's answer to the IKE SA rekey is not one offered",
                 notify::kNoProposalChosen, now_ms);
      return;
    }
    adopt(sa, true, pc.new_spi, load_spi64(chosen.spi), *suite, *shared, pc.ni, *p.nonce, now_ms);
    wipe(*shared);
    // The old IKE SA is deleted now that its CHILD SAs live on the new one.
    PayloadWriter w;
    w.del({protocol::kIke, 0, {}});
    send_protected(sa, exchange::kInformational, false, sa.next_request_id++, w, now_ms);
    sa.state = IkeSaState::Deleting;
    return;
  }
  const ChildConfig& cfg = config_.children[pc.child];
  uint32_t peer_spi = 0;
  std::optional<Bytes> shared;
  if (pc.dh) {
    if (p.ke && p.ke->group == pc.dh->group().number) shared = pc.dh->shared_secret(p.ke->data);
    if (!shared) {
      record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
                 "the peer's answer has no usable KE payload", notify::kNoProposalChosen, now_ms);
      return;
    }
  }
  if (!accept_child(p.sa->front(), cfg, true, peer_spi)) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               "the peer chose " + describe(p.sa->front()) + ", not offered",
               notify::kNoProposalChosen, now_ms);
    return;
  }
  std::vector<TrafficSelector> local_ts = cfg.local_ts;
  std::vector<TrafficSelector> remote_ts = cfg.remote_ts;
  for (const auto& c : sa.children) {
    if (c.spi_in == pc.old_spi_in) {
      local_ts = c.local_ts;
      remote_ts = c.remote_ts;
    }
  }
  if (p.tsi) local_ts = *p.tsi;
  if (p.tsr) remote_ts = *p.tsr;
  install_child(sa, pc.child, pc.spi_in, peer_spi, local_ts, remote_ts,
                shared ? std::span<const uint8_t>(*shared) : std::span<const uint8_t>(), pc.ni,
                *p.nonce, true, now_ms);
  if (shared) wipe(*shared);
  // The old CHILD SA goes, and the peer is told (RFC 7296 1.3.3).
  for (size_t i = 0; i < sa.children.size(); ++i) {
    if (sa.children[i].spi_in == pc.old_spi_in && pc.old_spi_in != 0) {
      delete_child(sa, i, now_ms);
      break;
    }
  }
}

}  // namespace vfw::ike
