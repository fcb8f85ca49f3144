#include "ike/ikev1_engine.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "packet/packet.hpp"

namespace vfw::ike::v1 {
namespace {

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

// ESP's and AH's transform IDs and Authentication Algorithm attribute for an ipsec proposal's
// algorithms (RFC 2407 4.4.4, 4.5).
uint8_t esp_transform(ipsec::Encryption e) {
  switch (e) {
    case ipsec::Encryption::Des:
      return esp::kDes;
    case ipsec::Encryption::TripleDes:
      return esp::k3Des;
    case ipsec::Encryption::Aes128:
    case ipsec::Encryption::Aes192:
    case ipsec::Encryption::Aes256:
      return esp::kAesCbc;
    case ipsec::Encryption::AesGcm128:
    case ipsec::Encryption::AesGcm192:
    case ipsec::Encryption::AesGcm256:
      return esp::kAesGcm16;
    case ipsec::Encryption::None:
      return esp::kNull;
  }
  return esp::kNull;
}

uint16_t key_bits(ipsec::Encryption e) {
  switch (e) {
    case ipsec::Encryption::Aes128:
    case ipsec::Encryption::AesGcm128:
      return 128;
    case ipsec::Encryption::Aes192:
    case ipsec::Encryption::AesGcm192:
      return 192;
    case ipsec::Encryption::Aes256:
    case ipsec::Encryption::AesGcm256:
      return 256;
    default:
      return 0;
  }
}

uint16_t auth_attribute(ipsec::Authentication a) {
  switch (a) {
    case ipsec::Authentication::Md5:
      return auth_alg::kHmacMd5;
    case ipsec::Authentication::Sha1:
      return auth_alg::kHmacSha1;
    case ipsec::Authentication::Sha256:
    case ipsec::Authentication::Sha256Truncated96:
      return auth_alg::kHmacSha256;
    case ipsec::Authentication::Sha384:
      return auth_alg::kHmacSha384;
    case ipsec::Authentication::Sha512:
      return auth_alg::kHmacSha512;
    case ipsec::Authentication::None:
      return 0;
  }
  return 0;
}

uint8_t ah_transform(ipsec::Authentication a) {
  switch (a) {
    case ipsec::Authentication::Md5:
      return ah::kMd5;
    case ipsec::Authentication::Sha1:
      return ah::kSha1;
    case ipsec::Authentication::Sha256:
    case ipsec::Authentication::Sha256Truncated96:
      return ah::kSha256;
    case ipsec::Authentication::Sha384:
      return ah::kSha384;
    case ipsec::Authentication::Sha512:
      return ah::kSha512;
    case ipsec::Authentication::None:
      return 0;
  }
  return 0;
}

// The lifetimes a run of attributes states: each Life Type followed by its Life Duration
// (phase 1's and the IPsec DOI's attributes have their own numbers for the two).
struct Lifetimes {
  std::optional<uint32_t> seconds;
  std::optional<uint32_t> kilobytes;
};
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

}  // namespace

Engine::Engine(EngineConfig config) : config_(std::move(config)) {}

uint64_t Engine::soft_ms(uint64_t start, uint32_t seconds) {
  return start + uint64_t{seconds} * 900;  // 90% of the lifetime, in milliseconds
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping

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

// ---------------------------------------------------------------------------------------------
// Sending

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
    throw std::runtime_error(std::string(sa.cipher->openssl) + " is not available in OpenSSL");
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

Bytes Engine::quick_hash(const IsakmpSa& sa, uint32_t message_id, std::span<const uint8_t> prefix,
                         std::span<const uint8_t> rest) const {
  Bytes input = be32(message_id);
  append(input, prefix);
  append(input, rest);
  return prf(*sa.hash->prf, sa.keys.a, input);
}

void Engine::send_informational(IsakmpSa& sa, const PayloadWriter& w) {
  // RFC 2409 5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D), encrypted with an IV of its own that
  // leaves phase 1's untouched.
  const uint32_t mid = random_message_id(*random_);
  PayloadWriter out;
  out.add(payload::kHash, quick_hash(sa, mid, {}, w.bytes()));
  out.append_chain(w);
  Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, mid);
  transmit(sa.local, sa.remote, seal(header(sa, exchange::kInformational, mid), out, sa, iv));
}

// ---------------------------------------------------------------------------------------------
// Phase 1

SecurityAssociation Engine::phase1_offer(const PeerConfig& peer, bool aggressive) const {
  SecurityAssociation sa;
  Proposal prop;
  prop.number = 1;
  prop.protocol = protocol::kIsakmp;
  uint8_t number = 1;
  const DhGroup* only_group = nullptr;  // aggressive mode's KE fixes the group
  for (const auto& p : peer.proposals) {
    for (const DhGroup* g : p.dh) {
      if (aggressive) {
        if (only_group == nullptr) only_group = g;
        if (g != only_group) continue;
      }
      for (const Cipher* c : p.v1_encryption) {
        for (const Hash* h : p.v1_hash) {
          Transform t;
          t.number = number++;
          t.id = kKeyIke;
          t.attributes.push_back({attr::kEncryption, c->attribute});
          if (c->key_bits != 0) t.attributes.push_back({attr::kKeyLength, c->key_bits});
          t.attributes.push_back({attr::kHash, h->attribute});
          t.attributes.push_back({attr::kAuthMethod, kAuthPreSharedKey});
          t.attributes.push_back({attr::kGroup, g->number});
          t.attributes.push_back({attr::kLifeType, life::kSeconds});
          t.attributes.push_back({attr::kLifeDuration, p.lifetime_seconds});
          prop.transforms.push_back(std::move(t));
          if (number == 0) return sa;  // 255 transforms: the field's limit
        }
      }
    }
  }
  sa.proposals.push_back(std::move(prop));
  return sa;
}

bool Engine::choose_phase1(const SecurityAssociation& offer, const PeerConfig& peer, IsakmpSa& sa,
                           Transform& chosen) const {
  // The first transform of the peer's, in its order, that one of this side's proposals holds.
  for (const auto& prop : offer.proposals) {
    if (prop.protocol != protocol::kIsakmp) continue;
    for (const auto& t : prop.transforms) {
      if (t.id != kKeyIke) continue;
      const auto enc = t.find(attr::kEncryption);
      const auto hash = t.find(attr::kHash);
      const auto group = t.find(attr::kGroup);
      if (!enc || !hash || !group || t.find(attr::kAuthMethod) != kAuthPreSharedKey) continue;
      const Cipher* c = find_cipher(static_cast<uint16_t>(*enc),
                                    static_cast<uint16_t>(t.find(attr::kKeyLength).value_or(0)));
      const Hash* h = find_hash(static_cast<uint16_t>(*hash));
      const DhGroup* g = find_dh_group(static_cast<uint16_t>(*group));
      if (c == nullptr || h == nullptr || g == nullptr || !available(*c)) continue;
      bool known = true;
      for (const auto& a : t.attributes) {
        if (a.type != attr::kEncryption && a.type != attr::kHash && a.type != attr::kAuthMethod &&
            a.type != attr::kGroup && a.type != attr::kLifeType && a.type != attr::kLifeDuration &&
            a.type != attr::kKeyLength)
          known = false;
      }
      if (!known) continue;
      for (const auto& own : peer.proposals) {
        const bool ok = std::find(own.v1_encryption.begin(), own.v1_encryption.end(), c) !=
                            own.v1_encryption.end() &&
                        std::find(own.v1_hash.begin(), own.v1_hash.end(), h) != own.v1_hash.end() &&
                        std::find(own.dh.begin(), own.dh.end(), g) != own.dh.end();
        if (!ok) continue;
        sa.cipher = c;
        sa.hash = h;
        sa.group = g;
        // The lifetimes: the shorter of the two (what the device keeps when they differ).
        const uint32_t lifetime =
            shorter(own.lifetime_seconds,
                    lifetimes_of(t.attributes, attr::kLifeType, attr::kLifeDuration).seconds);
        sa.lifetime_seconds = std::max(lifetime, kMinLifetimeSeconds);
        chosen = t;
        return true;
      }
    }
  }
  return false;
}

void Engine::vendor_ids(PayloadWriter& w, const PeerConfig& peer) const {
  if (peer.nat_traversal) w.add(payload::kVendorId, kNatTraversalVid);
  w.add(payload::kVendorId, kDpdVid);
}

void Engine::nat_d(PayloadWriter& w, const IsakmpSa& sa) const {
  // RFC 3947 3.2: the first NAT-D hashes the peer's address and port as this side sends to them,
  // the second this side's own.
  w.add(payload::kNatD, v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.remote.address, sa.remote.port));
  w.add(payload::kNatD, v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.local.address, sa.local.port));
}

void Engine::detect_nat(IsakmpSa& sa, const Payloads& p) {
  if (!sa.peer_nat_t || p.nat_d.size() < 2) return;
  // The peer's first NAT-D is this side as it saw it; the rest, the peer as it sent.
  const Bytes me = v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.local.address, sa.local.port);
  const Bytes them = v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.remote.address, sa.remote.port);
  sa.nat_local = !equal_bytes(p.nat_d[0], me);
  sa.nat_remote = std::none_of(p.nat_d.begin() + 1, p.nat_d.end(),
                               [&](const Bytes& d) { return equal_bytes(d, them); });
}

bool Engine::derive(IsakmpSa& sa, std::span<const uint8_t> peer_ke) {
  auto shared = sa.dh->shared_secret(peer_ke);
  if (!shared) return false;
  sa.shared = std::move(*shared);
  (sa.initiator ? sa.gxr : sa.gxi).assign(peer_ke.begin(), peer_ke.end());
  (sa.initiator ? sa.gxi : sa.gxr) = sa.dh->public_value();
  const std::string& psk = config_.peers[sa.peer].pre_shared_key;
  sa.keys = derive_phase1(
      *sa.hash, *sa.cipher,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()), sa.ni,
      sa.nr, sa.shared, sa.cky_i, sa.cky_r);
  sa.iv = phase1_iv(*sa.hash, *sa.cipher, sa.gxi, sa.gxr);
  return true;
}

Bytes Engine::hash_i(const IsakmpSa& sa, std::span<const uint8_t> id_body) const {
  Bytes input = sa.gxi;
  append(input, sa.gxr);
  append(input, cookies(sa.cky_i, sa.cky_r));
  append(input, sa.sa_i_body);
  append(input, id_body);
  return prf(*sa.hash->prf, sa.keys.skeyid, input);
}

Bytes Engine::hash_r(const IsakmpSa& sa, std::span<const uint8_t> id_body) const {
  Bytes input = sa.gxr;
  append(input, sa.gxi);
  append(input, cookies(sa.cky_r, sa.cky_i));
  append(input, sa.sa_i_body);
  append(input, id_body);
  return prf(*sa.hash->prf, sa.keys.skeyid, input);
}

Id Engine::own_id(const IsakmpSa& sa) const {
  const Identification& id = config_.peers[sa.peer].local_id;
  Id out;
  out.type = id.type;
  out.data = id.data;
  if (id.type == id::kIpv4 && id.data.size() == 4 && load32(id.data.data()) == 0) {
    out.data = be32(sa.local.address.v);
  }
  return out;
}

bool Engine::check_peer_id(IsakmpSa& sa, const Id& id, uint64_t now_ms) {
  sa.peer_id = identification(id);
  sa.peer_id_body = id.body();
  const auto& want = config_.peers[sa.peer].remote_id;
  if (!want || (want->type == id.type && want->data == id.data)) return true;
  const std::string got = sa.peer_id.text();
  const std::string expected = want->text();
  record(&sa, sa.remote.address, sa.remote.port, Failure::ConfigIdMismatch,
         "the peer identified as " + got + ", remote-id is " + expected,
         notify::kInvalidIdInformation, now_ms);
  last_error().debug_before.push_back("25:6956 ERROR - Received remote-name(" + got +
                                      ") does not match with peer remote-name(" + expected + ")");
  notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidIdInformation);
  remove(&sa);
  return false;
}

bool Engine::initiate(size_t child, uint64_t now_ms) {
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

IsakmpSa* Engine::start_phase1(size_t child, uint64_t now_ms) {
  const ChildConfig& c = config_.children[child];
  const PeerConfig& peer = config_.peers[c.peer];
  IsakmpSa& sa =
      create(true, {c.local_address, kIkePort}, {*peer.remote_address, kIkePort}, c.peer, now_ms);
  sa.child = child;
  sa.waiting.push_back(child);
  sa.aggressive = peer.aggressive;
  const SecurityAssociation offer = phase1_offer(peer, sa.aggressive);
  if (offer.proposals[0].transforms.empty()) {
    fail(sa, Failure::Phase1ProposalMismatch,
         "ike peer " + peer.name + " has no IKEv1 algorithms this side can offer", 0, now_ms);
    return nullptr;
  }
  sa.sa_i_body = encode_sa_body(offer);
  PayloadWriter w;
  w.add(payload::kSa, sa.sa_i_body);
  if (sa.aggressive) {
    // Aggressive mode (RFC 2409 5.4): the KE of the one group offered, Ni and IDii at once.
    const auto group = offer.proposals[0].transforms.empty()
                           ? std::nullopt
                           : offer.proposals[0].transforms[0].find(attr::kGroup);
    const DhGroup* g = group ? find_dh_group(static_cast<uint16_t>(*group)) : nullptr;
    sa.dh = g != nullptr ? DhKey::generate(*g, *random_) : nullptr;
    if (!sa.dh) {
      fail(sa, Failure::Phase1ProposalMismatch, "no DH group to offer", 0, now_ms);
      return nullptr;
    }
    sa.ni = random_->bytes(32);
    w.add(payload::kKe, sa.dh->public_value());
    w.add(payload::kNonce, sa.ni);
    w.id(own_id(sa));
    sa.state = Phase1State::AggressiveSent1;
  } else {
    sa.state = Phase1State::MainSent1;
  }
  vendor_ids(w, peer);
  send_flight(
      sa, sa.flight,
      encode_message(header(sa, sa.aggressive ? exchange::kAggressive : exchange::kMain, 0), w),
      true, now_ms);
  return &sa;
}

void Engine::receive(const Endpoint& local, const Endpoint& remote,
                     std::span<const uint8_t> message, uint64_t now_ms) {
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

void Engine::on_first_message(const Endpoint& local, const Endpoint& remote,
                              std::span<const uint8_t> message, const Header& h, const Payloads& p,
                              uint64_t now_ms) {
  if (h.message_id != 0 || !p.sa) return;
  const bool aggressive = h.exchange == exchange::kAggressive;
  if (aggressive && (!p.ke || !p.nonce || p.ids.empty())) return;
  if (half_open_ >= kMaxHalfOpen) return;  // a flood: answer nothing, keep nothing
  // With pre-shared keys the peer is known by its address (RFC 2409 5.4): the key must be
  // chosen before its identity is seen in main mode.
  std::vector<size_t> candidates;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (!peer.version1) continue;
    if (peer.remote_address ? *peer.remote_address == remote.address : peer.any_address)
      candidates.push_back(i);
  }
  const std::string from = to_string(remote.address);
  const auto v2_only =
      std::find_if(config_.peers.begin(), config_.peers.end(), [&](const auto& other) {
        return !other.version1 && other.remote_address && *other.remote_address == remote.address;
      });
  if (candidates.empty() && v2_only != config_.peers.end()) {
    record(nullptr, remote.address, remote.port, Failure::VersionMismatch,
           "ike peer " + v2_only->name + " has IKEv1 off (undo version 1); the peer sent IKEv1",
           notify::kNoProposalChosen, now_ms);
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  if (candidates.empty()) {
    record(nullptr, remote.address, remote.port, Failure::PeerAddressMismatch,
           "no ike peer has remote-address " + from, notify::kNoProposalChosen, now_ms);
    last_error().debug_after.push_back(
        "0:3595 Phase 1 Exchange: ike peer configuration not found for peer \"" + from + "\"");
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  IsakmpSa probe;
  Transform chosen;
  size_t peer_index = SIZE_MAX;
  for (const size_t i : candidates) {
    if (choose_phase1(*p.sa, config_.peers[i], probe, chosen)) {
      peer_index = i;
      break;
    }
  }
  if (peer_index == SIZE_MAX) {
    std::string offered;
    for (const auto& prop : p.sa->proposals) {
      for (const auto& t : prop.transforms)
        offered += (offered.empty() ? "" : ", ") + transform_text(t);
    }
    record(nullptr, remote.address, remote.port, Failure::Phase1ProposalMismatch,
           "peer offered " + offered, notify::kNoProposalChosen, now_ms);
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  IsakmpSa& sa = create(false, local, remote, peer_index, now_ms);
  ++half_open_;
  sa.cky_i = h.cky_i;
  by_peer_cookie_[{remote.address.v, h.cky_i}] = &sa;
  sa.aggressive = aggressive;
  sa.cipher = probe.cipher;
  sa.hash = probe.hash;
  sa.group = probe.group;
  sa.lifetime_seconds = probe.lifetime_seconds;
  sa.sa_i_body = p.sa_body;
  sa.peer_nat_t = p.has_vendor_id(kNatTraversalVid) && config_.peers[peer_index].nat_traversal;
  sa.peer_dpd = p.has_vendor_id(kDpdVid);
  sa.flight.received.assign(message.begin(), message.end());
  for (const auto& c : config_.children) {
    if (c.peer == peer_index) sa.child = static_cast<size_t>(&c - config_.children.data());
  }
  SecurityAssociation answer;
  answer.proposals.push_back(p.sa->proposals[0]);
  answer.proposals[0].transforms = {chosen};
  PayloadWriter w;
  w.sa(answer);
  if (aggressive) {
    if (p.ke->size() != sa.group->public_bytes) {
      fail(sa, Failure::Phase1ProposalMismatch,
           "the peer's KE is not of the group it proposed (" + std::string(sa.group->display) + ")",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    // The cheap checks of the peer's value first; then the budget; then the work.
    if (!DhKey::plausible(*sa.group, *p.ke)) {
      notify_plain(local, remote, h.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
      fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    // Aggressive mode's first message proves nothing of its source address: half the budget.
    if (!budget_->charge(*sa.group, now_ms, false)) {
      ++busy_;
      remove(&sa);  // not answered: the initiator retransmits
      return;
    }
    sa.dh = DhKey::generate(*sa.group, *random_);
    sa.ni = *p.nonce;
    sa.nr = random_->bytes(32);
    if (!sa.dh || !derive(sa, *p.ke)) {
      budget_->wasted(now_ms);
      notify_plain(local, remote, h.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
      fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    if (!check_peer_id(sa, p.ids[0], now_ms)) return;
    const Id me = own_id(sa);
    w.add(payload::kKe, sa.dh->public_value());
    w.add(payload::kNonce, sa.nr);
    w.id(me);
    w.add(payload::kHash, hash_r(sa, me.body()));
    vendor_ids(w, config_.peers[peer_index]);
    if (sa.peer_nat_t) nat_d(w, sa);
    sa.state = Phase1State::AggressiveSent2;
  } else {
    vendor_ids(w, config_.peers[peer_index]);
    sa.state = Phase1State::MainSent2;
  }
  send_flight(sa, sa.flight, encode_message(header(sa, h.exchange, 0), w), true, now_ms);
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

void Engine::on_phase1(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                       uint64_t now_ms) {
  if (h.message_id != 0) return;
  if (equal_bytes(sa.flight.received, message)) {
    // The peer did not get this side's answer: the same again (RFC 2408 5.1 retransmission).
    if (!sa.flight.message.empty()) transmit(sa.local, sa.remote, sa.flight.message);
    return;
  }
  if (sa.established()) return;
  Payloads p;
  Bytes plain;
  DecodeError error;
  const bool encrypted = (h.flags & flag::kEncryption) != 0;
  if (encrypted) {
    if (sa.keys.encryption.empty()) return;
    if (!open(message, h, sa, sa.iv, plain, p, error)) {
      malformed(sa, error, now_ms);
      return;
    }
  } else if (!decode_payloads(message.subspan(kHeaderBytes), h.next_payload, p, error)) {
    malformed(sa, error, now_ms);
    return;
  }
  sa.flight.received.assign(message.begin(), message.end());
  sa.flight.awaiting = false;
  const PeerConfig& peer = config_.peers[sa.peer];
  const std::string from = to_string(sa.remote.address);

  switch (sa.state) {
    case Phase1State::MainSent1:
    case Phase1State::AggressiveSent1: {
      if (h.exchange !=
              (sa.state == Phase1State::MainSent1 ? exchange::kMain : exchange::kAggressive) ||
          !p.sa)
        return;
      if (sa.cky_r == 0) sa.cky_r = h.cky_r;
      Transform chosen;
      const SecurityAssociation& answer = *p.sa;
      // The answer must be one transform, of algorithms this side offered (the peer writes its
      // attributes in its own order and may state its own lifetime).
      const bool ours = answer.proposals.size() == 1 && answer.proposals[0].transforms.size() == 1;
      if (!ours || !choose_phase1(answer, peer, sa, chosen)) {
        fail(sa, Failure::Phase1ProposalMismatch,
             "the peer chose a transform this side did not offer", notify::kBadProposalSyntax,
             now_ms);
        return;
      }
      sa.peer_nat_t = p.has_vendor_id(kNatTraversalVid) && peer.nat_traversal;
      sa.peer_dpd = p.has_vendor_id(kDpdVid);
      if (sa.state == Phase1State::MainSent1) {
        sa.dh = DhKey::generate(*sa.group, *random_);
        sa.ni = random_->bytes(32);
        if (!sa.dh) {
          fail(sa, Failure::Phase1ProposalMismatch, "OpenSSL cannot make a key in this group", 0,
               now_ms);
          return;
        }
        PayloadWriter w;
        w.add(payload::kKe, sa.dh->public_value());
        w.add(payload::kNonce, sa.ni);
        if (sa.peer_nat_t) nat_d(w, sa);
        sa.state = Phase1State::MainSent3;
        send_flight(sa, sa.flight, encode_message(header(sa, exchange::kMain, 0), w), true, now_ms);
        return;
      }
      // Aggressive mode, message 2: the responder's KE, Nr, IDir and HASH_R.
      if (!p.ke || !p.nonce || p.ids.empty() || !p.hash) {
        fail(sa, Failure::MalformedMessage, "aggressive mode message 2 lacks a payload",
             notify::kPayloadMalformed, now_ms);
        return;
      }
      sa.nr = *p.nonce;
      if (!derive(sa, *p.ke)) {
        fail(sa, Failure::InitiatorDhMismatch, "the peer's DH public value is not in the group",
             notify::kInvalidKeyInformation, now_ms);
        return;
      }
      if (!check_peer_id(sa, p.ids[0], now_ms)) return;
      if (!equal_bytes(*p.hash, hash_r(sa, p.ids[0].body()))) {
        fail(sa, Failure::AuthenticationFail, "HASH_R does not verify: the pre-shared keys differ",
             notify::kInvalidHashInformation, now_ms);
        return;
      }
      detect_nat(sa, p);
      if (sa.nat_local || sa.nat_remote) {
        sa.local.port = kNatTraversalPort;
        sa.remote.port = kNatTraversalPort;
      }
      PayloadWriter w;
      w.add(payload::kHash, hash_i(sa, own_id(sa).body()));
      if (sa.peer_nat_t) nat_d(w, sa);
      if (first_contact(sa)) w.notification(initial_contact_notification(sa));
      // RFC 3947 4: the third message goes encrypted.
      send_flight(sa, sa.flight, seal(header(sa, exchange::kAggressive, 0), w, sa, sa.iv), false,
                  now_ms);
      established(sa, false, now_ms);
      return;
    }
    case Phase1State::MainSent2: {
      if (!p.ke || !p.nonce) return;
      if (p.ke->size() != sa.group->public_bytes) {
        notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
        fail(sa, Failure::ResponderDhMismatch, "the peer's KE is not of the group chosen",
             notify::kInvalidKeyInformation, now_ms);
        return;
      }
      if (!DhKey::plausible(*sa.group, *p.ke)) {
        notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
        fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
             notify::kInvalidKeyInformation, now_ms);
        return;
      }
      // Message 3 carries this side's cookie: the address is the sender's.
      if (!budget_->charge(*sa.group, now_ms, true)) {
        ++busy_;
        sa.flight.received.clear();  // its retransmission is handled afresh, not as answered
        return;
      }
      sa.dh = DhKey::generate(*sa.group, *random_);
      sa.ni = *p.nonce;
      sa.nr = random_->bytes(32);
      if (!sa.dh || !derive(sa, *p.ke)) {
        budget_->wasted(now_ms);
        notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
        fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
             notify::kInvalidKeyInformation, now_ms);
        return;
      }
      detect_nat(sa, p);
      PayloadWriter w;
      w.add(payload::kKe, sa.dh->public_value());
      w.add(payload::kNonce, sa.nr);
      if (sa.peer_nat_t) nat_d(w, sa);
      sa.state = Phase1State::MainSent4;
      send_flight(sa, sa.flight, encode_message(header(sa, exchange::kMain, 0), w), true, now_ms);
      return;
    }
    case Phase1State::MainSent3: {
      if (!p.ke || !p.nonce) return;
      sa.nr = *p.nonce;
      if (!derive(sa, *p.ke)) {
        fail(sa, Failure::InitiatorDhMismatch, "the peer's DH public value is not in the group",
             notify::kInvalidKeyInformation, now_ms);
        return;
      }
      detect_nat(sa, p);
      if (sa.nat_local || sa.nat_remote) {
        // RFC 3947 4: from message 5 on, both sides talk on port 4500.
        sa.local.port = kNatTraversalPort;
        sa.remote.port = kNatTraversalPort;
      }
      const Id me = own_id(sa);
      PayloadWriter w;
      w.id(me);
      w.add(payload::kHash, hash_i(sa, me.body()));
      if (first_contact(sa)) w.notification(initial_contact_notification(sa));
      sa.state = Phase1State::MainSent5;
      send_flight(sa, sa.flight, seal(header(sa, exchange::kMain, 0), w, sa, sa.iv), true, now_ms);
      return;
    }
    case Phase1State::MainSent4:
    case Phase1State::AggressiveSent2: {
      const bool main = sa.state == Phase1State::MainSent4;
      if (!p.hash || (main && p.ids.empty())) {
        malformed(sa, {notify::kPayloadMalformed, "message without its ID or HASH payload"},
                  now_ms);
        return;
      }
      if (main && !check_peer_id(sa, p.ids[0], now_ms)) return;
      const Bytes expected = hash_i(sa, main ? p.ids[0].body() : sa.peer_id_body);
      if (!equal_bytes(*p.hash, expected)) {
        record(&sa, sa.remote.address, sa.remote.port, Failure::AuthenticationFail,
               "HASH_I does not verify: the pre-shared keys differ",
               notify::kInvalidHashInformation, now_ms);
        notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidHashInformation);
        remove(&sa);
        return;
      }
      if (!main) detect_nat(sa, p);
      if (main) {
        const Id me = own_id(sa);
        PayloadWriter w;
        w.id(me);
        w.add(payload::kHash, hash_r(sa, me.body()));
        send_flight(sa, sa.flight, seal(header(sa, exchange::kMain, 0), w, sa, sa.iv), false,
                    now_ms);
      }
      --half_open_;
      established(sa, initial_contact(p), now_ms);
      return;
    }
    case Phase1State::MainSent5: {
      if (p.ids.empty() || !p.hash) {
        malformed(sa, {notify::kPayloadMalformed, "message 6 without its ID or HASH payload"},
                  now_ms);
        return;
      }
      if (!check_peer_id(sa, p.ids[0], now_ms)) return;
      if (!equal_bytes(*p.hash, hash_r(sa, p.ids[0].body()))) {
        fail(sa, Failure::AuthenticationFail, "HASH_R does not verify: the pre-shared keys differ",
             notify::kInvalidHashInformation, now_ms);
        return;
      }
      established(sa, initial_contact(p), now_ms);
      return;
    }
    case Phase1State::Established:
      return;
  }
}

bool Engine::first_contact(const IsakmpSa& sa) const {
  return std::none_of(sas_.begin(), sas_.end(), [&](const auto& other) {
    return other.get() != &sa && other->peer == sa.peer && other->established();
  });
}

Notification Engine::initial_contact_notification(const IsakmpSa& sa) {
  Notification n;
  n.protocol = protocol::kIsakmp;
  n.spi = cookies(sa.cky_i, sa.cky_r);
  n.type = notify::kInitialContact;
  return n;
}

bool Engine::initial_contact(const Payloads& p) {
  return std::any_of(p.notifications.begin(), p.notifications.end(),
                     [](const Notification& n) { return n.type == notify::kInitialContact; });
}

void Engine::established(IsakmpSa& sa, bool initial_contact, uint64_t now_ms) {
  sa.state = Phase1State::Established;
  sa.established_ms = now_ms;
  sa.dh.reset();
  sa.rekey_at_ms = sa.initiator ? soft_ms(now_ms, sa.lifetime_seconds) : UINT64_MAX;
  sa.expire_at_ms = now_ms + uint64_t{sa.lifetime_seconds} * 1000;
  if (initial_contact) {
    // INITIAL-CONTACT (RFC 2407 4.6.3.3): the peer has no other SA with this side (it
    // restarted), so whatever this side still holds for it is stale: gone, without a word.
    std::vector<IsakmpSa*> stale;
    for (auto& old : sas_) {
      if (old.get() != &sa && old->peer == sa.peer && old->remote.address == sa.remote.address)
        stale.push_back(old.get());
    }
    for (IsakmpSa* old : stale) remove(old);
  }
  // An ISAKMP SA that replaces an older one with the same peer (a phase 1 rekey, or the peer
  // starting afresh) takes over its IPsec SAs; the old one is deleted.
  for (auto& old : sas_) {
    if (old.get() == &sa || old->peer != sa.peer || !old->established() || old->replaced ||
        old->remote.address != sa.remote.address)
      continue;
    old->replaced = true;
    for (auto& c : old->children) sa.children.push_back(c);
    old->children.clear();
    old->expire_at_ms = std::min(old->expire_at_ms, now_ms + 10'000);
  }
  const std::vector<size_t> waiting = std::exchange(sa.waiting, {});
  if (sa.initiator) {
    for (const size_t child : waiting) start_quick(sa, child, 0, now_ms);
  }
}

// ---------------------------------------------------------------------------------------------
// Quick mode

Transform Engine::child_transform(const ChildConfig& c, bool udp) const {
  Transform t;
  t.number = 1;
  const bool esp = c.protocol == protocol::kEsp;
  t.id = esp ? esp_transform(c.encryption) : ah_transform(c.authentication);
  t.attributes.push_back({ipsec_attr::kLifeType, life::kSeconds});
  t.attributes.push_back({ipsec_attr::kLifeDuration, c.lifetime_seconds});
  if (c.lifetime_kilobytes != 0) {
    t.attributes.push_back({ipsec_attr::kLifeType, life::kKilobytes});
    t.attributes.push_back({ipsec_attr::kLifeDuration, c.lifetime_kilobytes});
  }
  if (c.pfs != nullptr) t.attributes.push_back({ipsec_attr::kGroup, c.pfs->number});
  const uint16_t mode = c.tunnel ? (udp ? encapsulation::kUdpTunnel : encapsulation::kTunnel)
                                 : (udp ? encapsulation::kUdpTransport : encapsulation::kTransport);
  t.attributes.push_back({ipsec_attr::kEncapsulation, mode});
  if (c.authentication != ipsec::Authentication::None && !ipsec::info(c.encryption).aead)
    t.attributes.push_back({ipsec_attr::kAuthentication, auth_attribute(c.authentication)});
  if (esp && key_bits(c.encryption) != 0)
    t.attributes.push_back({ipsec_attr::kKeyLength, key_bits(c.encryption)});
  return t;
}

void Engine::send_quick(IsakmpSa& sa, QuickMode& qm, const PayloadWriter& w, bool await,
                        uint64_t now_ms) {
  send_flight(sa, qm.flight, seal(header(sa, exchange::kQuick, qm.message_id), w, sa, qm.iv), await,
              now_ms);
}

void Engine::start_quick(IsakmpSa& sa, size_t child, uint32_t replaces_spi_in, uint64_t now_ms) {
  const ChildConfig& c = config_.children[child];
  auto qm = std::make_unique<QuickMode>();
  qm->message_id = random_message_id(*random_);
  qm->initiator = true;
  qm->child = child;
  qm->replaces_spi_in = replaces_spi_in;
  qm->spi_in = random_spi(*random_);
  qm->ni = random_->bytes(32);
  qm->started_ms = now_ms;
  qm->iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, qm->message_id);
  if (c.pfs != nullptr) {
    qm->dh = DhKey::generate(*c.pfs, *random_);
    if (!qm->dh) return;
  }
  // IKEv1 carries one pair of client identities per quick mode: the entry's first ACL rule
  // (ike_link reports an entry whose ACL has more than one).
  qm->idci = client_id(c.local_ts.front());
  qm->idcr = client_id(c.remote_ts.front());
  qm->has_ids = true;
  SecurityAssociation offer;
  Proposal prop;
  prop.protocol = c.protocol;
  prop.spi = be32(qm->spi_in);
  prop.transforms.push_back(child_transform(c, sa.nat_local || sa.nat_remote));
  offer.proposals.push_back(std::move(prop));
  PayloadWriter rest;
  rest.sa(offer);
  rest.add(payload::kNonce, qm->ni);
  if (qm->dh) rest.add(payload::kKe, qm->dh->public_value());
  rest.id(qm->idci);
  rest.id(qm->idcr);
  PayloadWriter w;
  w.add(payload::kHash, quick_hash(sa, qm->message_id, {}, rest.bytes()));
  w.append_chain(rest);
  QuickMode& ref = *qm;
  sa.quick.push_back(std::move(qm));
  send_quick(sa, ref, w, true, now_ms);
}

void Engine::on_quick(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                      uint64_t now_ms) {
  if ((h.flags & flag::kEncryption) == 0 || h.message_id == 0) return;
  QuickMode* qm = nullptr;
  for (auto& q : sa.quick) {
    if (q->message_id == h.message_id) qm = q.get();
  }
  if (qm != nullptr && equal_bytes(qm->flight.received, message)) {
    if (!qm->flight.message.empty()) transmit(sa.local, sa.remote, qm->flight.message);
    return;
  }
  if (qm != nullptr && qm->done) return;
  std::unique_ptr<QuickMode> fresh;
  if (qm == nullptr) {
    fresh = std::make_unique<QuickMode>();
    fresh->message_id = h.message_id;
    fresh->started_ms = now_ms;
    fresh->iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    qm = fresh.get();
  }
  Bytes iv = qm->iv;
  Bytes plain;
  Payloads p;
  DecodeError error;
  if (!open(message, h, sa, iv, plain, p, error)) return;  // nothing authenticated: drop
  if (!p.hash || p.after_hash == 0) return;
  const std::span<const uint8_t> rest(plain.data() + p.after_hash, p.chain_end - p.after_hash);
  if (fresh) {
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, {}, rest))) return;
    qm->iv = iv;
    qm->flight.received.assign(message.begin(), message.end());
    sa.quick.push_back(std::move(fresh));
    on_quick_1(sa, *sa.quick.back(), p, now_ms);
    return;
  }
  if (qm->initiator) {
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, qm->ni, rest))) return;
    qm->iv = iv;
    qm->flight.received.assign(message.begin(), message.end());
    on_quick_2(sa, *qm, p, now_ms);
    return;
  }
  // The responder's third message: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
  Bytes prefix{0};
  append(prefix, be32(h.message_id));
  append(prefix, qm->ni);
  append(prefix, qm->nr);
  if (!equal_bytes(*p.hash, prf(*sa.hash->prf, sa.keys.a, prefix))) return;
  qm->iv = iv;
  qm->flight.received.assign(message.begin(), message.end());
  qm->flight.awaiting = false;
  qm->done = true;
  install(sa, *qm, now_ms);
}

void Engine::on_quick_1(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms) {
  auto drop = [&] { std::erase_if(sa.quick, [&](const auto& q) { return q.get() == &qm; }); };
  const std::string peer = to_string(sa.remote.address);
  if (!p.sa || !p.nonce || p.sa->proposals.empty()) {
    drop();
    return;
  }
  qm.ni = *p.nonce;
  // The flows: IDci is the initiator's side (this side's remote), IDcr this side's. Without IDs
  // the SA protects the two peers' addresses (RFC 2409 5.5).
  TrafficSelector remote_ts;
  TrafficSelector local_ts;
  remote_ts.start = remote_ts.end = sa.remote.address;
  local_ts.start = local_ts.end = sa.local.address;
  if (p.ids.size() >= 2) {
    auto a = selector_of(p.ids[0]);
    auto b = selector_of(p.ids[1]);
    if (!a || !b) {
      drop();
      return;
    }
    remote_ts = *a;
    local_ts = *b;
    qm.idci = p.ids[0];
    qm.idcr = p.ids[1];
    qm.has_ids = true;
  }
  size_t child = SIZE_MAX;
  for (size_t i = 0; i < config_.children.size() && child == SIZE_MAX; ++i) {
    const ChildConfig& c = config_.children[i];
    if (c.peer != sa.peer) continue;
    for (size_t k = 0; k < c.local_ts.size(); ++k) {
      if (within(local_ts, c.local_ts[k]) && within(remote_ts, c.remote_ts[k])) {
        child = i;
        break;
      }
    }
  }
  auto inform = [&](uint16_t type) {
    PayloadWriter w;
    Notification n;
    n.protocol = p.sa->proposals[0].protocol;
    n.spi = p.sa->proposals[0].spi;
    n.type = type;
    w.notification(n);
    send_informational(sa, w);
  };
  if (child == SIZE_MAX) {
    record(&sa, sa.remote.address, sa.remote.port, Failure::FlowMismatch,
           "peer proposed " + hex_id(qm.idci) + " to " + hex_id(qm.idcr) +
               ", which no security acl of this peer's policies permits",
           notify::kInvalidIdInformation, now_ms);
    inform(notify::kInvalidIdInformation);
    drop();
    return;
  }
  const ChildConfig& c = config_.children[child];
  qm.child = child;
  // The proposal: this side's single transform, with or without UDP encapsulation as NAT-T
  // decided, and PFS exactly as configured (a group on one side only is a mismatch, as the
  // seed's Failure::Phase2ProposalOrPfsMismatch says).
  const bool udp = sa.nat_local || sa.nat_remote;
  const Transform own = child_transform(c, udp);
  const Proposal* chosen_prop = nullptr;
  const Transform* chosen = nullptr;
  std::string offered;
  for (const auto& prop : p.sa->proposals) {
    if (prop.protocol != c.protocol || prop.spi.size() != 4) continue;
    for (const auto& t : prop.transforms) {
      offered += (offered.empty() ? "" : ", ") + std::string("transform ") + std::to_string(t.id);
      if (chosen != nullptr || !same_transform(t, own)) continue;
      chosen_prop = &prop;
      chosen = &t;
    }
  }
  const bool pfs_ok = (c.pfs != nullptr) == p.ke.has_value() &&
                      (c.pfs == nullptr || p.ke->size() == c.pfs->public_bytes);
  if (chosen == nullptr || !pfs_ok) {
    record(&sa, sa.remote.address, sa.remote.port, Failure::Phase2ProposalOrPfsMismatch,
           "peer offered " +
               (offered.empty() ? std::string("no ") +
                                      (c.protocol == protocol::kEsp ? "ESP" : "AH") + " proposal"
                                : offered) +
               (pfs_ok ? ""
                       : (c.pfs != nullptr ? ", without PFS " + std::string(c.pfs->keyword)
                                           : ", with PFS this side has not")),
           notify::kNoProposalChosen, now_ms);
    last_error().child = child;
    inform(notify::kNoProposalChosen);
    drop();
    return;
  }
  qm.spi_out = load32(chosen_prop->spi.data());
  qm.spi_in = random_spi(*random_);
  qm.nr = random_->bytes(32);
  qm.choice = choice_for(c, udp);
  // Lifetimes: the shorter of both; when this side's is shorter it says so (RESPONDER-LIFETIME,
  // RFC 2407 4.5.4), so the initiator rekeys in time.
  const Lifetimes peer_life =
      lifetimes_of(chosen->attributes, ipsec_attr::kLifeType, ipsec_attr::kLifeDuration);
  qm.choice.lifetime_seconds =
      std::max(shorter(c.lifetime_seconds, peer_life.seconds), kMinLifetimeSeconds);
  qm.choice.lifetime_kilobytes = shorter(c.lifetime_kilobytes, peer_life.kilobytes);
  Bytes shared;
  PayloadWriter rest;
  SecurityAssociation answer;
  Proposal prop = *chosen_prop;
  prop.spi = be32(qm.spi_in);
  prop.transforms = {*chosen};
  answer.proposals.push_back(std::move(prop));
  rest.sa(answer);
  rest.add(payload::kNonce, qm.nr);
  if (c.pfs != nullptr) {
    qm.dh = DhKey::generate(*c.pfs, *random_);
    auto s = qm.dh ? qm.dh->shared_secret(*p.ke) : std::nullopt;
    if (!s) {
      record(&sa, sa.remote.address, sa.remote.port, Failure::Phase2ProposalOrPfsMismatch,
             "the peer's PFS public value is not in the group", notify::kInvalidKeyInformation,
             now_ms);
      inform(notify::kInvalidKeyInformation);
      drop();
      return;
    }
    rest.add(payload::kKe, qm.dh->public_value());
    qm.dh.reset();
    shared = std::move(*s);
  }
  if (qm.has_ids) {
    rest.id(qm.idci);
    rest.id(qm.idcr);
  }
  if (peer_life.seconds && qm.choice.lifetime_seconds < *peer_life.seconds) {
    Notification n;
    n.protocol = c.protocol;
    n.spi = be32(qm.spi_in);
    n.type = notify::kResponderLifetime;
    n.data = encode_attributes({{ipsec_attr::kLifeType, life::kSeconds},
                                {ipsec_attr::kLifeDuration, qm.choice.lifetime_seconds}});
    rest.notification(n);
  }
  qm.shared = std::move(shared);  // PFS's g(qm)^xy, for KEYMAT once the third message arrives
  PayloadWriter w;
  w.add(payload::kHash, quick_hash(sa, qm.message_id, qm.ni, rest.bytes()));
  w.append_chain(rest);
  send_quick(sa, qm, w, true, now_ms);
}

void Engine::on_quick_2(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms) {
  const ChildConfig& c = config_.children[qm.child];
  auto give_up = [&](Failure reason, const std::string& detail, uint16_t notify) {
    record(&sa, sa.remote.address, sa.remote.port, reason, detail, notify, now_ms);
    last_error().child = qm.child;
    std::erase_if(sa.quick, [&](const auto& q) { return q.get() == &qm; });
  };
  if (!p.sa || !p.nonce || p.sa->proposals.size() != 1 ||
      p.sa->proposals[0].transforms.size() != 1 || p.sa->proposals[0].spi.size() != 4 ||
      p.sa->proposals[0].protocol != c.protocol) {
    give_up(Failure::Phase2ProposalOrPfsMismatch,
            "the peer's answer is not one proposal of this side's", notify::kBadProposalSyntax);
    return;
  }
  const bool udp = sa.nat_local || sa.nat_remote;
  if (!same_transform(p.sa->proposals[0].transforms[0], child_transform(c, udp)) ||
      (c.pfs != nullptr) != p.ke.has_value()) {
    give_up(Failure::Phase2ProposalOrPfsMismatch,
            "the peer answered with a transform this side did not offer",
            notify::kNoProposalChosen);
    return;
  }
  if (qm.has_ids && (p.ids.size() < 2 || p.ids[0].body() != qm.idci.body() ||
                     p.ids[1].body() != qm.idcr.body())) {
    give_up(Failure::FlowMismatch, "the peer answered with other client identities",
            notify::kInvalidIdInformation);
    return;
  }
  if (qm.dh) {
    auto s = qm.dh->shared_secret(*p.ke);
    if (!s) {
      give_up(Failure::Phase2ProposalOrPfsMismatch,
              "the peer's PFS public value is not in the group", notify::kInvalidKeyInformation);
      return;
    }
    qm.shared = std::move(*s);
    qm.dh.reset();
  }
  qm.nr = *p.nonce;
  qm.spi_out = load32(p.sa->proposals[0].spi.data());
  qm.choice = choice_for(c, udp);
  for (const auto& n : p.notifications) {
    if (n.type != notify::kResponderLifetime) continue;
    std::vector<Attribute> attrs;
    DecodeError ignored;
    if (!decode_attributes(n.data, attrs, ignored)) continue;
    const Lifetimes said = lifetimes_of(attrs, ipsec_attr::kLifeType, ipsec_attr::kLifeDuration);
    qm.choice.lifetime_seconds =
        std::max(shorter(qm.choice.lifetime_seconds, said.seconds), kMinLifetimeSeconds);
    qm.choice.lifetime_kilobytes = shorter(qm.choice.lifetime_kilobytes, said.kilobytes);
  }
  Bytes prefix{0};
  append(prefix, be32(qm.message_id));
  append(prefix, qm.ni);
  append(prefix, qm.nr);
  PayloadWriter w;
  w.add(payload::kHash, prf(*sa.hash->prf, sa.keys.a, prefix));
  send_quick(sa, qm, w, false, now_ms);
  qm.done = true;
  install(sa, qm, now_ms);
}

void Engine::install(IsakmpSa& sa, QuickMode& qm, uint64_t now_ms) {
  const ChildConfig& c = config_.children[qm.child];
  const auto& enc = ipsec::info(qm.choice.encryption);
  const size_t enc_bytes =
      qm.choice.protocol == protocol::kEsp ? enc.key_bytes + (enc.aead ? 4u : 0u) : 0u;
  const size_t auth_bytes = enc.aead || qm.choice.authentication == ipsec::Authentication::None
                                ? 0
                                : ipsec::info(qm.choice.authentication).key_bytes;
  // KEYMAT per direction, by the SPI its receiver chose: encryption key first, then integrity.
  auto keys = [&](uint32_t spi, Bytes& e, Bytes& a) {
    Bytes k = keymat(*sa.hash, sa.keys.d, qm.shared, qm.choice.protocol, spi, qm.ni, qm.nr,
                     enc_bytes + auth_bytes);
    e.assign(k.begin(), k.begin() + static_cast<long>(enc_bytes));
    a.assign(k.begin() + static_cast<long>(enc_bytes), k.end());
    wipe(k);
  };
  ChildSaInstall in;
  in.child = qm.child;
  in.conn_id = new_conn_id();
  in.local = sa.local.address;
  in.remote = sa.remote.address;
  in.udp_encapsulation = qm.choice.udp;
  in.remote_port = sa.remote.port;
  in.protocol = qm.choice.protocol;
  in.tunnel = qm.choice.tunnel;
  in.spi_in = qm.spi_in;
  in.spi_out = qm.spi_out;
  in.encryption = qm.choice.encryption;
  in.authentication = auth_bytes != 0 ? qm.choice.authentication : ipsec::Authentication::None;
  keys(qm.spi_in, in.encryption_key_in, in.authentication_key_in);
  keys(qm.spi_out, in.encryption_key_out, in.authentication_key_out);
  wipe(qm.shared);
  TrafficSelector local_ts = c.local_ts.front();
  TrafficSelector remote_ts = c.remote_ts.front();
  if (qm.has_ids) {
    // The flows as negotiated: IDci is the initiator's side.
    auto i = selector_of(qm.idci);
    auto r = selector_of(qm.idcr);
    if (i && r) {
      local_ts = qm.initiator ? *i : *r;
      remote_ts = qm.initiator ? *r : *i;
    }
  }
  in.local_ts = {local_ts};
  in.remote_ts = {remote_ts};
  in.lifetime_seconds = qm.choice.lifetime_seconds;
  in.lifetime_kilobytes = qm.choice.lifetime_kilobytes;
  ChildSa child;
  child.child = qm.child;
  child.conn_id = in.conn_id;
  child.protocol = qm.choice.protocol;
  child.spi_in = qm.spi_in;
  child.spi_out = qm.spi_out;
  child.established_ms = now_ms;
  // The side that started the quick mode renews the SAs at 90% of their life; the responder
  // leaves it to the initiator, as strongSwan and most IKEv1 stacks expect (a responder that
  // renews too races the initiator's renewal, and the peer may expire what the responder made
  // by a lifetime it never stated).
  child.rekey_at_ms = qm.initiator ? soft_ms(now_ms, qm.choice.lifetime_seconds) : UINT64_MAX;
  // The responder keeps the SA a little past the lifetime (10% and two seconds): the initiator
  // renews close to the end, and its new SA should find the old one still there to replace.
  const uint64_t life_ms = uint64_t{qm.choice.lifetime_seconds} * 1000;
  child.expire_at_ms = now_ms + (qm.initiator ? life_ms : life_ms + life_ms / 10 + 2000);
  child.local_ts = in.local_ts;
  child.remote_ts = in.remote_ts;
  sa.children.push_back(std::move(child));
  installs_.push_back(std::move(in));
  // A rekey: the SA it replaces goes, and the peer is told (RFC 2409 leaves the old one to
  // expire; deleting it at once keeps the SAD to one pair per flow, as the device does).
  if (qm.replaces_spi_in != 0) {
    for (size_t i = 0; i < sa.children.size(); ++i) {
      if (sa.children[i].spi_in == qm.replaces_spi_in) {
        delete_child(sa, i);
        break;
      }
    }
  }
}

void Engine::delete_child(IsakmpSa& sa, size_t index) {
  const ChildSa c = sa.children[index];
  sa.children.erase(sa.children.begin() + static_cast<long>(index));
  removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  if (!sa.established()) return;
  PayloadWriter w;
  Deletion d;
  d.protocol = c.protocol;
  d.spi_size = 4;
  d.spis.push_back(be32(c.spi_in));
  w.deletion(d);
  send_informational(sa, w);
}

void Engine::delete_sa(IsakmpSa& sa) {
  while (!sa.children.empty()) delete_child(sa, sa.children.size() - 1);
  if (sa.established()) {
    PayloadWriter w;
    Deletion d;
    d.protocol = protocol::kIsakmp;
    d.spi_size = 16;
    d.spis.push_back(cookies(sa.cky_i, sa.cky_r));
    w.deletion(d);
    send_informational(sa, w);
  }
  remove(&sa);
}

// ---------------------------------------------------------------------------------------------
// Informational exchanges

void Engine::on_informational(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                              uint64_t now_ms) {
  const bool encrypted = (h.flags & flag::kEncryption) != 0;
  Payloads p;
  DecodeError error;
  if (encrypted && !sa.established() && sa.state == Phase1State::MainSent5 &&
      !sa.keys.encryption.empty()) {
    // The initiator's message 5 reached a peer with another pre-shared key: it answers with an
    // encrypted INFORMATIONAL this side cannot read either. As the seed's side that cannot
    // decrypt: the payload chain it finds is recorded, with the seed's lines, and the SA goes.
    Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    Bytes plain;
    if (!open(message, h, sa, iv, plain, p, error)) {
      record_malformed(sa, error, now_ms);
      remove(&sa);
      return;
    }
  }
  if (encrypted) {
    if (!sa.established()) return;
    Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    Bytes plain;
    if (!open(message, h, sa, iv, plain, p, error) || !p.hash || p.after_hash == 0) return;
    const std::span<const uint8_t> rest(plain.data() + p.after_hash, p.chain_end - p.after_hash);
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, {}, rest))) return;
  } else {
    if (!decode_payloads(message.subspan(kHeaderBytes), h.next_payload, p, error)) return;
    // Unprotected, only an error about a negotiation still under way is believed (RFC 2408
    // 5.1); anything else could come from anyone.
    if (sa.established()) return;
  }
  for (const auto& n : p.notifications) {
    on_notification(sa, n, encrypted, now_ms);
    if (std::none_of(sas_.begin(), sas_.end(), [&](const auto& x) { return x.get() == &sa; }))
      return;
  }
  for (const auto& d : p.deletions) {
    if (d.protocol == protocol::kIsakmp) {
      // The peer deletes the ISAKMP SA: its IPsec SAs go with it (the device's "ikev1
      // phase1-phase2 sa dependent offline").
      remove(&sa);
      return;
    }
    // The IPsec SAs named may have moved to a newer ISAKMP SA with the same peer (a phase 1
    // renewed before the old one was deleted): any of this peer's SAs can hold them.
    for (const auto& spi : d.spis) {
      if (spi.size() != 4) continue;
      const uint32_t v = load32(spi.data());
      for (auto& holder : sas_) {
        if (holder->peer != sa.peer || holder->remote.address != sa.remote.address) continue;
        auto& children = holder->children;
        auto it = std::find_if(children.begin(), children.end(),
                               [&](const ChildSa& c) { return c.spi_out == v; });
        if (it == children.end()) continue;
        removals_.push_back({it->child, it->protocol, it->spi_in, it->spi_out});
        children.erase(it);
        break;
      }
    }
  }
}

void Engine::on_notification(IsakmpSa& sa, const Notification& n, bool encrypted, uint64_t now_ms) {
  const std::string from = "Message from peer " + to_string(sa.remote.address) + ": ";
  if (n.type == notify::kRUThere && encrypted) {
    PayloadWriter w;
    Notification ack = n;
    ack.type = notify::kRUThereAck;
    w.notification(ack);
    send_informational(sa, w);
    return;
  }
  if (n.type == notify::kRUThereAck) {
    sa.dpd_sent_ms = 0;
    return;
  }
  if (n.type >= 8192) return;  // a status, nothing failed
  if (!sa.established()) {
    // Phase 1 refused: the seed's lines for it, then the record.
    Failure reason = Failure::Phase1ProposalMismatch;
    if (n.type == notify::kPayloadMalformed) reason = Failure::MalformedPayload;
    if (n.type == notify::kInvalidIdInformation) reason = Failure::ConfigIdMismatch;
    if (n.type == notify::kInvalidHashInformation || n.type == notify::kAuthenticationFailed)
      reason = Failure::AuthenticationFail;
    std::string detail = "the peer answered " + notify_name(n.type);
    if (n.type == notify::kPayloadMalformed && sa.state == Phase1State::MainSent5)
      detail +=
          ": it could not read message 5, which the pre-shared key encrypts (do the keys "
          "match?)";
    record(&sa, sa.remote.address, sa.remote.port, reason, detail, n.type, now_ms);
    last_error().debug_before.push_back("17:5773 " + from + "Got NOTIFY of type " +
                                        notify_name(n.type));
    remove(&sa);
    return;
  }
  // A quick mode refused: the oldest of this side's still waiting.
  for (auto& q : sa.quick) {
    if (!q->initiator || q->done) continue;
    const bool flow = n.type == notify::kInvalidIdInformation;
    record(&sa, sa.remote.address, sa.remote.port,
           flow ? Failure::FlowMismatch : Failure::Phase2ProposalOrPfsMismatch,
           "the peer answered " + notify_name(n.type), n.type, now_ms);
    last_error().child = q->child;
    if (flow) {
      last_error().debug_before.push_back("17:5773 " + from + "Got NOTIFY of type " +
                                          notify_name(n.type));
    } else {
      last_error().debug_after.push_back(
          "17:6847 " + from + "dropping Message due to notification type " + notify_name(n.type));
    }
    QuickMode* gone = q.get();
    std::erase_if(sa.quick, [&](const auto& x) { return x.get() == gone; });
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// Time

// The SPI alone names the SA pair (both directions' SPIs are this engine's to look up).
void Engine::traffic_lifetime(uint32_t spi, bool /*inbound*/, bool hard) {
  (hard ? hard_expired_ : soft_expired_).push_back(spi);
}

void Engine::tick(uint64_t now_ms) {
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
