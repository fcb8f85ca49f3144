#include "ike/message.hpp"

#include <algorithm>
#include <cstring>

#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

uint64_t load64(const uint8_t* p) {
  return (uint64_t{load32(p)} << 32) | load32(p + 4);
}

void store64(uint8_t* p, uint64_t v) {
  store32(p, static_cast<uint32_t>(v >> 32));
  store32(p + 4, static_cast<uint32_t>(v));
}

void append16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void append32(Bytes& out, uint32_t v) {
  append16(out, static_cast<uint16_t>(v >> 16));
  append16(out, static_cast<uint16_t>(v));
}

void append(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

bool syntax(DecodeError& error, std::string reason) {
  error.notify = notify::kInvalidSyntax;
  error.reason = std::move(reason);
  return false;
}

// RFC 7296 3.3: proposals, each with its transforms and their attributes.
bool decode_sa(std::span<const uint8_t> body, std::vector<Proposal>& out, DecodeError& error) {
  size_t at = 0;
  bool last = false;
  while (!last) {
    if (body.size() - at < 8) return syntax(error, "SA payload: truncated proposal");
    const uint8_t* p = body.data() + at;
    if (p[0] != 0 && p[0] != 2) return syntax(error, "SA payload: bad Last Substruc");
    last = p[0] == 0;
    const uint16_t length = load16(p + 2);
    if (length < 8 || length > body.size() - at)
      return syntax(error, "SA payload: bad proposal length");
    Proposal proposal;
    proposal.number = p[4];
    proposal.protocol = p[5];
    const uint8_t spi_size = p[6];
    const uint8_t count = p[7];
    if (8U + spi_size > length) return syntax(error, "SA payload: SPI beyond the proposal");
    proposal.spi.assign(p + 8, p + 8 + spi_size);
    size_t t = 8U + spi_size;
    for (uint8_t i = 0; i < count; ++i) {
      if (length - t < 8) return syntax(error, "SA payload: truncated transform");
      const uint8_t* q = p + t;
      const bool last_transform = i + 1 == count;
      if (q[0] != (last_transform ? 0 : 3)) return syntax(error, "SA payload: bad transform chain");
      const uint16_t tlen = load16(q + 2);
      if (tlen < 8 || tlen > length - t) return syntax(error, "SA payload: bad transform length");
      Transform tr;
      tr.type = q[4];
      tr.id = load16(q + 6);
      for (size_t a = 8; a < tlen;) {
        if (tlen - a < 4) return syntax(error, "SA payload: truncated attribute");
        const uint16_t type = load16(q + a);
        if ((type & 0x8000) != 0) {
          if ((type & 0x7fff) == transform::kKeyLengthAttribute) tr.key_bits = load16(q + a + 2);
          a += 4;
        } else {
          const uint16_t alen = load16(q + a + 2);
          if (alen > tlen - a - 4) return syntax(error, "SA payload: bad attribute length");
          a += 4U + alen;
        }
      }
      proposal.transforms.push_back(tr);
      t += tlen;
    }
    if (t != length)
      return syntax(error, "SA payload: proposal length disagrees with its transforms");
    out.push_back(std::move(proposal));
    at += length;
  }
  if (at != body.size()) return syntax(error, "SA payload: bytes after the last proposal");
  return true;
}

bool decode_ts(std::span<const uint8_t> body, std::vector<TrafficSelector>& out,
               DecodeError& error) {
  if (body.size() < 4) return syntax(error, "TS payload: truncated");
  const uint8_t count = body[0];
  size_t at = 4;
  for (uint8_t i = 0; i < count; ++i) {
    if (body.size() - at < 4) return syntax(error, "TS payload: truncated selector");
    const uint8_t* p = body.data() + at;
    const uint16_t length = load16(p + 2);
    if (length < 4 || length > body.size() - at)
      return syntax(error, "TS payload: bad selector length");
    if (p[0] == kTsIpv4AddressRange) {
      if (length != 16) return syntax(error, "TS payload: IPv4 selector not 16 bytes");
      TrafficSelector ts;
      ts.ip_protocol = p[1];
      ts.start_port = load16(p + 4);
      ts.end_port = load16(p + 6);
      ts.start = Ipv4{load32(p + 8)};
      ts.end = Ipv4{load32(p + 12)};
      out.push_back(ts);
    }  // other types (IPv6) are skipped: vfw protects IPv4 only
    at += length;
  }
  if (at != body.size()) return syntax(error, "TS payload: bytes after the last selector");
  return true;
}

template <typename T>
bool once(std::optional<T>& slot, T value, const char* name, DecodeError& error) {
  if (slot.has_value()) return syntax(error, std::string("two ") + name + " payloads");
  slot = std::move(value);
  return true;
}

}  // namespace

Bytes Identification::body() const {
  Bytes out(4 + data.size(), 0);
  out[0] = type;
  std::copy(data.begin(), data.end(), out.begin() + 4);
  return out;
}

std::string Identification::text() const {
  if (type == id_type::kIpv4Address && data.size() == 4)
    return to_string(Ipv4{load32(data.data())});
  std::string s;
  for (const uint8_t c : data) s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return s;
}

std::string id_type_name(uint8_t type) {
  switch (type) {
    case id_type::kIpv4Address:
      return "ID_IPV4_ADDR";
    case id_type::kFqdn:
      return "ID_FQDN";
    case id_type::kRfc822Address:
      return "ID_RFC822_ADDR";
    case id_type::kDerAsn1Dn:
      return "ID_DER_ASN1_DN";
    default:
      return "ID type " + std::to_string(type);
  }
}

std::pair<std::string, std::string> id_texts(const Identification& a, const Identification& b) {
  std::string ta = a.text();
  std::string tb = b.text();
  if (ta == tb && a.type != b.type) {
    ta += " (" + id_type_name(a.type) + ")";
    tb += " (" + id_type_name(b.type) + ")";
  }
  return {ta, tb};
}

const Notify* Payloads::find_notify(uint16_t type) const {
  for (const auto& n : notifies) {
    if (n.type == type) return &n;
  }
  return nullptr;
}

const Notify* Payloads::error() const {
  for (const auto& n : notifies) {
    if (n.type < notify::kFirstStatus) return &n;
  }
  return nullptr;
}

std::optional<Header> decode_header(std::span<const uint8_t> message, DecodeError& error) {
  if (message.size() < kHeaderBytes) {
    syntax(error, "shorter than the IKE header");
    error.notify = 0;  // nothing to answer a fragment of a header with
    return std::nullopt;
  }
  Header h;
  const uint8_t* p = message.data();
  h.spi_i = load64(p);
  h.spi_r = load64(p + 8);
  h.next_payload = p[16];
  h.version = p[17];
  h.exchange = p[18];
  h.flags = p[19];
  h.message_id = load32(p + 20);
  h.length = load32(p + 24);
  if ((h.version >> 4) != 2) {
    error.notify = notify::kInvalidMajorVersion;
    error.reason = "IKE major version " + std::to_string(h.version >> 4);
    return std::nullopt;
  }
  if (h.length != message.size()) {
    syntax(error, "header length " + std::to_string(h.length) + " but the datagram holds " +
                      std::to_string(message.size()));
    return std::nullopt;
  }
  return h;
}

void encode_header(const Header& h, uint8_t* out) {
  store64(out, h.spi_i);
  store64(out + 8, h.spi_r);
  out[16] = h.next_payload;
  out[17] = h.version;
  out[18] = h.exchange;
  out[19] = h.flags;
  store32(out + 20, h.message_id);
  store32(out + 24, h.length);
}

bool decode_payloads(std::span<const uint8_t> bytes, uint8_t first, Payloads& out,
                     DecodeError& error, size_t base) {
  uint8_t type = first;
  size_t at = 0;
  while (type != payload::kNone) {
    if (bytes.size() - at < kPayloadHeaderBytes) return syntax(error, "truncated payload header");
    const uint8_t* p = bytes.data() + at;
    const uint8_t next = p[0];
    const bool critical = (p[1] & 0x80) != 0;
    const uint16_t length = load16(p + 2);
    if (length < kPayloadHeaderBytes || length > bytes.size() - at)
      return syntax(error, "payload length " + std::to_string(length) + " out of bounds");
    const std::span<const uint8_t> body(p + kPayloadHeaderBytes, length - kPayloadHeaderBytes);
    out.order.push_back(type);
    switch (type) {
      case payload::kSa: {
        std::vector<Proposal> proposals;
        if (!decode_sa(body, proposals, error) || !once(out.sa, std::move(proposals), "SA", error))
          return false;
        break;
      }
      case payload::kKe:
        if (body.size() < 4) return syntax(error, "KE payload: truncated");
        if (!once(out.ke, KeyExchange{load16(body.data()), Bytes(body.begin() + 4, body.end())},
                  "KE", error))
          return false;
        break;
      case payload::kNonce:
        // RFC 7296 2.10: 16 to 256 octets.
        if (body.size() < 16 || body.size() > 256)
          return syntax(error, "Nonce payload: bad length");
        if (!once(out.nonce, Bytes(body.begin(), body.end()), "Nonce", error)) return false;
        break;
      case payload::kIdi:
      case payload::kIdr: {
        if (body.size() < 4) return syntax(error, "ID payload: truncated");
        Identification id{body[0], Bytes(body.begin() + 4, body.end())};
        if (!once(type == payload::kIdi ? out.idi : out.idr, std::move(id), "ID", error))
          return false;
        break;
      }
      case payload::kAuth:
        if (body.size() < 4) return syntax(error, "AUTH payload: truncated");
        if (!once(out.auth, Authentication{body[0], Bytes(body.begin() + 4, body.end())}, "AUTH",
                  error))
          return false;
        break;
      case payload::kNotify: {
        if (body.size() < 4 || body[1] > body.size() - 4)
          return syntax(error, "Notify payload: truncated");
        Notify n;
        n.protocol = body[0];
        n.type = load16(body.data() + 2);
        n.spi.assign(body.begin() + 4, body.begin() + 4 + body[1]);
        n.data.assign(body.begin() + 4 + body[1], body.end());
        out.notifies.push_back(std::move(n));
        break;
      }
      case payload::kDelete: {
        if (body.size() < 4) return syntax(error, "Delete payload: truncated");
        Delete d;
        d.protocol = body[0];
        d.spi_size = body[1];
        const uint16_t count = load16(body.data() + 2);
        if (size_t{count} * d.spi_size != body.size() - 4)
          return syntax(error, "Delete payload: bad SPI count");
        for (uint16_t i = 0; i < count; ++i) {
          const auto* s = body.data() + 4 + size_t{i} * d.spi_size;
          d.spis.emplace_back(s, s + d.spi_size);
        }
        out.deletes.push_back(std::move(d));
        break;
      }
      case payload::kTsi:
      case payload::kTsr: {
        std::vector<TrafficSelector> ts;
        if (!decode_ts(body, ts, error) ||
            !once(type == payload::kTsi ? out.tsi : out.tsr, std::move(ts), "TS", error))
          return false;
        break;
      }
      case payload::kVendorId:
        out.vendor_ids.emplace_back(body.begin(), body.end());
        break;
      case payload::kSk:
        // RFC 7296 3.14: the Encrypted payload, if present, is the last payload in the message.
        if (at + length != bytes.size()) return syntax(error, "SK payload is not the last");
        out.encrypted = true;
        out.sk_offset = base + at;
        out.sk_length = length;
        out.sk_first = next;
        return true;
      case payload::kCert:
      case payload::kCertReq:
      case payload::kCp:
      case payload::kEap:
      case payload::kSkf:
        break;  // known, not used by PSK authentication: ignored
      default:
        if (critical) {
          error.notify = notify::kUnsupportedCriticalPayload;
          error.data = {type};
          error.reason = "unsupported critical payload " + std::to_string(type);
          return false;
        }
        break;  // RFC 7296 2.5: a non-critical unknown payload is skipped
    }
    type = next;
    at += length;
  }
  if (at != bytes.size()) return syntax(error, "bytes after the last payload");
  return true;
}

void PayloadWriter::sa(const std::vector<Proposal>& proposals) {
  Bytes body;
  for (size_t i = 0; i < proposals.size(); ++i) {
    const Proposal& p = proposals[i];
    const size_t start = body.size();
    body.push_back(i + 1 == proposals.size() ? 0 : 2);
    body.push_back(0);
    append16(body, 0);  // length, below
    body.push_back(p.number);
    body.push_back(p.protocol);
    body.push_back(static_cast<uint8_t>(p.spi.size()));
    body.push_back(static_cast<uint8_t>(p.transforms.size()));
    append(body, p.spi);
    for (size_t t = 0; t < p.transforms.size(); ++t) {
      const Transform& tr = p.transforms[t];
      body.push_back(t + 1 == p.transforms.size() ? 0 : 3);
      body.push_back(0);
      append16(body, tr.key_bits ? 12 : 8);
      body.push_back(tr.type);
      body.push_back(0);
      append16(body, tr.id);
      if (tr.key_bits) {
        append16(body, 0x8000 | transform::kKeyLengthAttribute);
        append16(body, *tr.key_bits);
      }
    }
    store16(body.data() + start + 2, static_cast<uint16_t>(body.size() - start));
  }
  add(payload::kSa, body);
}

void PayloadWriter::ke(const KeyExchange& k) {
  Bytes body;
  append16(body, k.group);
  append16(body, 0);
  append(body, k.data);
  add(payload::kKe, body);
}

void PayloadWriter::nonce(std::span<const uint8_t> n) {
  add(payload::kNonce, n);
}

void PayloadWriter::id(uint8_t type, const Identification& i) {
  add(type, i.body());
}

void PayloadWriter::auth(const Authentication& a) {
  Bytes body = {a.method, 0, 0, 0};
  append(body, a.data);
  add(payload::kAuth, body);
}

void PayloadWriter::notify(const Notify& n) {
  Bytes body = {n.protocol, static_cast<uint8_t>(n.spi.size())};
  append16(body, n.type);
  append(body, n.spi);
  append(body, n.data);
  add(payload::kNotify, body);
}

void PayloadWriter::notify(uint16_t type, std::span<const uint8_t> data) {
  notify(Notify{0, {}, type, Bytes(data.begin(), data.end())});
}

void PayloadWriter::ts(uint8_t type, const std::vector<TrafficSelector>& selectors) {
  Bytes body = {static_cast<uint8_t>(selectors.size()), 0, 0, 0};
  for (const auto& s : selectors) {
    body.push_back(kTsIpv4AddressRange);
    body.push_back(s.ip_protocol);
    append16(body, 16);
    append16(body, s.start_port);
    append16(body, s.end_port);
    append32(body, s.start.v);
    append32(body, s.end.v);
  }
  add(type, body);
}

void PayloadWriter::del(const Delete& d) {
  Bytes body = {d.protocol, d.spi_size};
  append16(body, static_cast<uint16_t>(d.spis.size()));
  for (const auto& s : d.spis) append(body, s);
  add(payload::kDelete, body);
}

void PayloadWriter::vendor_id(std::span<const uint8_t> v) {
  add(payload::kVendorId, v);
}

Bytes encode_message(Header h, const PayloadWriter& payloads) {
  Bytes out(kHeaderBytes + payloads.bytes().size());
  h.next_payload = payloads.first();
  h.length = static_cast<uint32_t>(out.size());
  encode_header(h, out.data());
  std::copy(payloads.bytes().begin(), payloads.bytes().end(), out.begin() + kHeaderBytes);
  return out;
}

std::string exchange_name(uint8_t e) {
  switch (e) {
    case exchange::kIkeSaInit:
      return "IKE_SA_INIT";
    case exchange::kIkeAuth:
      return "IKE_AUTH";
    case exchange::kCreateChildSa:
      return "CREATE_CHILD_SA";
    case exchange::kInformational:
      return "INFORMATIONAL";
    default:
      return "EXCHANGE_" + std::to_string(e);
  }
}

std::string notify_name(uint16_t type) {
  switch (type) {
#define VFW_CASE(k, type, name) \
  case notify::k:               \
    return name;
    VFW_IKEV2_NOTIFIES(VFW_CASE)
#undef VFW_CASE
    default:
      return "NOTIFY_" + std::to_string(type);
  }
}

}  // namespace vfw::ike
