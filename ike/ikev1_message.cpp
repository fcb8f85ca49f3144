#include "ike/ikev1_message.hpp"

#include <algorithm>

#include "packet/packet.hpp"

namespace vfw::ike::v1 {
namespace {

constexpr size_t kGenericHeader = 4;

uint64_t load64(const uint8_t* p) {
  return (uint64_t{load32(p)} << 32) | load32(p + 4);
}
void store64(uint8_t* p, uint64_t v) {
  store32(p, static_cast<uint32_t>(v >> 32));
  store32(p + 4, static_cast<uint32_t>(v));
}

bool malformed(DecodeError& e, std::string reason) {
  e.notify = notify::kPayloadMalformed;
  e.reason = std::move(reason);
  return false;
}

bool decode_attributes_in(std::span<const uint8_t> b, std::vector<Attribute>& out, DecodeError& e) {
  size_t at = 0;
  while (at < b.size()) {
    if (b.size() - at < 4) return malformed(e, "truncated SA attribute");
    const uint16_t type_field = load16(b.data() + at);
    const uint16_t word = load16(b.data() + at + 2);
    Attribute a;
    a.type = type_field & 0x7fff;
    at += 4;
    if ((type_field & 0x8000) != 0) {
      a.value = word;  // basic: the value is the second word
    } else {
      if (word > b.size() - at) return malformed(e, "SA attribute length out of bounds");
      if (word > 4 || word == 0) {
        // A variable value longer than four bytes is nothing vfw negotiates: keep its type only,
        // so the transform is refused for an attribute it does not know, never misread.
        a.value = UINT32_MAX;
      } else {
        for (size_t i = 0; i < word; ++i) a.value = (a.value << 8) | b[at + i];
      }
      at += word;
    }
    out.push_back(a);
  }
  return true;
}

bool decode_sa(std::span<const uint8_t> b, SecurityAssociation& sa, DecodeError& e) {
  if (b.size() < 8) return malformed(e, "SA payload shorter than its DOI and situation");
  sa.doi = load32(b.data());
  sa.situation = load32(b.data() + 4);
  if (sa.doi != kDoiIpsec) {
    e.notify = notify::kDoiNotSupported;
    e.reason = "DOI " + std::to_string(sa.doi);
    return false;
  }
  size_t at = 8;
  uint8_t type = payload::kProposal;
  while (type == payload::kProposal) {
    if (b.size() - at < 8) return malformed(e, "truncated proposal payload");
    const uint8_t* p = b.data() + at;
    const uint8_t next = p[0];
    const uint16_t length = load16(p + 2);
    if (length < 8 || length > b.size() - at) return malformed(e, "proposal length out of bounds");
    Proposal prop;
    prop.number = p[4];
    prop.protocol = p[5];
    const uint8_t spi_size = p[6];
    const uint8_t count = p[7];
    if (spi_size > length - 8u) return malformed(e, "proposal SPI longer than the proposal");
    prop.spi.assign(p + 8, p + 8 + spi_size);
    size_t t = 8u + spi_size;
    for (uint8_t i = 0; i < count; ++i) {
      if (length - t < 8) return malformed(e, "truncated transform payload");
      const uint8_t* q = p + t;
      const uint16_t tl = load16(q + 2);
      if (tl < 8 || tl > length - t) return malformed(e, "transform length out of bounds");
      if (q[0] != (i + 1 == count ? payload::kNone : payload::kTransform))
        return malformed(e, "transform chain does not match the proposal's count");
      Transform tr;
      tr.number = q[4];
      tr.id = q[5];
      if (!decode_attributes_in(std::span<const uint8_t>(q + 8, tl - 8u), tr.attributes, e))
        return false;
      prop.transforms.push_back(std::move(tr));
      t += tl;
    }
    sa.proposals.push_back(std::move(prop));
    at += length;
    if (next != payload::kProposal && next != payload::kNone)
      return malformed(e, "SA payload holds a payload of type " + std::to_string(next));
    type = next;
  }
  if (sa.proposals.empty()) return malformed(e, "SA payload without a proposal");
  return true;
}

bool decode_id(std::span<const uint8_t> b, Id& id, DecodeError& e) {
  if (b.size() < 4) {
    e.notify = notify::kInvalidIdInformation;
    e.reason = "ID payload shorter than its header";
    return false;
  }
  id.type = b[0];
  id.ip_protocol = b[1];
  id.port = load16(b.data() + 2);
  id.data.assign(b.begin() + 4, b.end());
  return true;
}

bool decode_notification(std::span<const uint8_t> b, Notification& n, DecodeError& e) {
  if (b.size() < 8) return malformed(e, "notification shorter than its header");
  n.doi = load32(b.data());
  n.protocol = b[4];
  const uint8_t spi_size = b[5];
  n.type = load16(b.data() + 6);
  if (spi_size > b.size() - 8) return malformed(e, "notification SPI out of bounds");
  n.spi.assign(b.begin() + 8, b.begin() + 8 + spi_size);
  n.data.assign(b.begin() + 8 + spi_size, b.end());
  return true;
}

bool decode_deletion(std::span<const uint8_t> b, Deletion& d, DecodeError& e) {
  if (b.size() < 8) return malformed(e, "delete payload shorter than its header");
  d.doi = load32(b.data());
  d.protocol = b[4];
  d.spi_size = b[5];
  const uint16_t count = load16(b.data() + 6);
  if (d.spi_size == 0 || size_t{count} * d.spi_size != b.size() - 8)
    return malformed(e, "delete payload's SPIs do not fill it");
  for (uint16_t i = 0; i < count; ++i) {
    const auto* p = b.data() + 8 + size_t{i} * d.spi_size;
    d.spis.emplace_back(p, p + d.spi_size);
  }
  return true;
}

void put_attribute(Bytes& out, const Attribute& a) {
  const size_t at = out.size();
  if (a.value <= 0xffff) {
    out.resize(at + 4);
    store16(out.data() + at, static_cast<uint16_t>(0x8000 | a.type));
    store16(out.data() + at + 2, static_cast<uint16_t>(a.value));
  } else {
    out.resize(at + 8);
    store16(out.data() + at, a.type);
    store16(out.data() + at + 2, 4);
    store32(out.data() + at + 4, a.value);
  }
}

}  // namespace

std::optional<uint32_t> Transform::find(uint16_t type) const {
  for (const auto& a : attributes) {
    if (a.type == type) return a.value;
  }
  return std::nullopt;
}

Bytes Id::body() const {
  Bytes out(4 + data.size());
  out[0] = type;
  out[1] = ip_protocol;
  store16(out.data() + 2, port);
  std::copy(data.begin(), data.end(), out.begin() + 4);
  return out;
}

bool Payloads::has_vendor_id(std::span<const uint8_t> id) const {
  return std::any_of(vendor_ids.begin(), vendor_ids.end(), [&](const Bytes& v) {
    return v.size() >= id.size() && std::equal(id.begin(), id.end(), v.begin());
  });
}

std::optional<Header> decode_header(std::span<const uint8_t> message, DecodeError& error) {
  if (message.size() < kHeaderBytes) {
    error.notify = 0;
    error.reason = "shorter than the ISAKMP header";
    return std::nullopt;
  }
  Header h;
  const uint8_t* p = message.data();
  h.cky_i = load64(p);
  h.cky_r = load64(p + 8);
  h.next_payload = p[16];
  h.version = p[17];
  h.exchange = p[18];
  h.flags = p[19];
  h.message_id = load32(p + 20);
  h.length = load32(p + 24);
  if ((h.version >> 4) != 1) {
    error.notify = notify::kInvalidMajorVersion;
    error.reason = "ISAKMP major version " + std::to_string(h.version >> 4);
    return std::nullopt;
  }
  if (h.length != message.size()) {
    // RFC 2408 5.1: the length must match what was received; some stacks pad the UDP datagram,
    // which the device tolerates when the header's length fits inside it.
    if (h.length < kHeaderBytes || h.length > message.size()) {
      error.notify = notify::kPayloadMalformed;
      error.reason = "header length " + std::to_string(h.length) + " but the datagram holds " +
                     std::to_string(message.size());
      return std::nullopt;
    }
  }
  return h;
}

void encode_header(const Header& h, uint8_t* out) {
  store64(out, h.cky_i);
  store64(out + 8, h.cky_r);
  out[16] = h.next_payload;
  out[17] = h.version;
  out[18] = h.exchange;
  out[19] = h.flags;
  store32(out + 20, h.message_id);
  store32(out + 24, h.length);
}

namespace {

// The payload types a message's chain may hold (RFC 2408 3.1, RFC 3947; proposals and transforms
// live inside an SA payload, never in the chain).
bool chain_type(uint8_t type) {
  switch (type) {
    case payload::kSa:
    case payload::kKe:
    case payload::kId:
    case payload::kCert:
    case payload::kCertRequest:
    case payload::kHash:
    case payload::kSignature:
    case payload::kNonce:
    case payload::kNotification:
    case payload::kDelete:
    case payload::kVendorId:
    case payload::kNatD:
    case payload::kNatOa:
    case payload::kNatDDraft:
    case payload::kNatOaDraft:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool decode_payloads(std::span<const uint8_t> bytes, uint8_t first, Payloads& out,
                     DecodeError& error) {
  uint8_t type = first;
  size_t at = 0;
  while (type != payload::kNone) {
    if (bytes.size() - at < kGenericHeader) return malformed(error, "truncated payload header");
    const uint8_t* p = bytes.data() + at;
    const uint8_t next = p[0];
    const uint16_t length = load16(p + 2);
    // The next payload's type is checked before this one's length, as the device does: what a
    // wrong key makes of an encrypted message is named by the seed's line for it.
    if (next != payload::kNone && !chain_type(next) && chain_type(type)) {
      error.notify = notify::kInvalidPayloadType;
      error.reason = "Invalid Next Payload of Type " + std::to_string(next) + " in Payload Type " +
                     std::to_string(type);
      return false;
    }
    if (length < kGenericHeader || length > bytes.size() - at)
      return malformed(error, "payload length " + std::to_string(length) + " out of bounds");
    const std::span<const uint8_t> body(p + kGenericHeader, length - kGenericHeader);
    switch (type) {
      case payload::kSa: {
        SecurityAssociation sa;
        if (!decode_sa(body, sa, error)) return false;
        if (!out.sa) {
          out.sa = std::move(sa);
          out.sa_body.assign(body.begin(), body.end());
        }
        break;
      }
      case payload::kKe:
        out.ke = Bytes(body.begin(), body.end());
        break;
      case payload::kId: {
        Id id;
        if (!decode_id(body, id, error)) return false;
        out.ids.push_back(std::move(id));
        break;
      }
      case payload::kHash:
        out.hash = Bytes(body.begin(), body.end());
        out.after_hash = at + length;
        break;
      case payload::kNonce:
        if (body.size() < 8 || body.size() > 256)
          return malformed(error, "nonce of " + std::to_string(body.size()) + " bytes");
        out.nonce = Bytes(body.begin(), body.end());
        break;
      case payload::kNotification: {
        Notification n;
        if (!decode_notification(body, n, error)) return false;
        out.notifications.push_back(std::move(n));
        break;
      }
      case payload::kDelete: {
        Deletion d;
        if (!decode_deletion(body, d, error)) return false;
        out.deletions.push_back(std::move(d));
        break;
      }
      case payload::kVendorId:
        out.vendor_ids.emplace_back(body.begin(), body.end());
        break;
      case payload::kNatD:
      case payload::kNatDDraft:
        out.nat_d.emplace_back(body.begin(), body.end());
        break;
      case payload::kCert:
      case payload::kCertRequest:
      case payload::kSignature:
      case payload::kNatOa:
      case payload::kNatOaDraft:
        break;  // known, and nothing vfw needs from them (pre-shared keys, tunnel mode)
      default:
        // The seed's debugging line for a payload chain that makes no sense, typically what a
        // wrong key makes of an encrypted message (the device then sends INVALID-PAYLOAD-TYPE's
        // cousin, PAYLOAD-MALFORMED, to its peer).
        error.notify = notify::kInvalidPayloadType;
        error.reason = "Invalid Next Payload of Type " + std::to_string(type) +
                       " in Payload Type " + std::to_string(out.chain_end_type);
        return false;
    }
    out.chain_end_type = type;
    at += length;
    type = next;
  }
  out.chain_end = at;
  return true;
}

Bytes encode_attributes(const std::vector<Attribute>& attributes) {
  Bytes out;
  for (const auto& a : attributes) put_attribute(out, a);
  return out;
}

bool decode_attributes(std::span<const uint8_t> bytes, std::vector<Attribute>& out,
                       DecodeError& error) {
  return decode_attributes_in(bytes, out, error);
}

Bytes encode_sa_body(const SecurityAssociation& sa) {
  Bytes out(8);
  store32(out.data(), sa.doi);
  store32(out.data() + 4, sa.situation);
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& prop = sa.proposals[i];
    const size_t at = out.size();
    out.resize(at + 8);
    out[at] = i + 1 == sa.proposals.size() ? payload::kNone : payload::kProposal;
    out[at + 4] = prop.number;
    out[at + 5] = prop.protocol;
    out[at + 6] = static_cast<uint8_t>(prop.spi.size());
    out[at + 7] = static_cast<uint8_t>(prop.transforms.size());
    out.insert(out.end(), prop.spi.begin(), prop.spi.end());
    for (size_t t = 0; t < prop.transforms.size(); ++t) {
      const Transform& tr = prop.transforms[t];
      const size_t tat = out.size();
      out.resize(tat + 8);
      out[tat] = t + 1 == prop.transforms.size() ? payload::kNone : payload::kTransform;
      out[tat + 4] = tr.number;
      out[tat + 5] = tr.id;
      for (const auto& a : tr.attributes) put_attribute(out, a);
      store16(out.data() + tat + 2, static_cast<uint16_t>(out.size() - tat));
    }
    store16(out.data() + at + 2, static_cast<uint16_t>(out.size() - at));
  }
  return out;
}

void PayloadWriter::sa(const SecurityAssociation& sa) {
  add(payload::kSa, encode_sa_body(sa));
}

void PayloadWriter::id(const Id& id) {
  add(payload::kId, id.body());
}

void PayloadWriter::notification(const Notification& n) {
  Bytes b(8);
  store32(b.data(), n.doi);
  b[4] = n.protocol;
  b[5] = static_cast<uint8_t>(n.spi.size());
  store16(b.data() + 6, n.type);
  b.insert(b.end(), n.spi.begin(), n.spi.end());
  b.insert(b.end(), n.data.begin(), n.data.end());
  add(payload::kNotification, b);
}

void PayloadWriter::deletion(const Deletion& d) {
  Bytes b(8);
  store32(b.data(), d.doi);
  b[4] = d.protocol;
  b[5] = d.spi_size;
  store16(b.data() + 6, static_cast<uint16_t>(d.spis.size()));
  for (const auto& s : d.spis) b.insert(b.end(), s.begin(), s.end());
  add(payload::kDelete, b);
}

Bytes encode_message(Header h, const PayloadWriter& payloads) {
  Bytes out(kHeaderBytes + payloads.bytes().size());
  h.next_payload = payloads.first();
  h.length = static_cast<uint32_t>(out.size());
  encode_header(h, out.data());
  std::copy(payloads.bytes().begin(), payloads.bytes().end(), out.begin() + kHeaderBytes);
  return out;
}

std::string notify_name(uint16_t type) {
  switch (type) {
#define VFW_CASE(k, type, name) \
  case notify::k:               \
    return name;
    VFW_IKEV1_NOTIFIES(VFW_CASE)
#undef VFW_CASE
    default:
      return "NOTIFY_" + std::to_string(type);
  }
}

std::string payload_name(uint8_t type) {
  static const char* names[] = {"NONE", "SA",   "PROPOSAL", "TRANSFORM", "KE", "ID", "CERT",
                                "CR",   "HASH", "SIG",      "NONCE",     "N",  "D",  "VID"};
  if (type < std::size(names)) return names[type];
  if (type == payload::kNatD) return "NAT-D";
  if (type == payload::kNatOa) return "NAT-OA";
  return std::to_string(type);
}

Id client_id(const TrafficSelector& ts) {
  Id id;
  id.ip_protocol = ts.ip_protocol;
  id.port = ts.start_port == ts.end_port ? ts.start_port : 0;
  const uint32_t size = ts.end.v - ts.start.v;
  id.data.resize(8);
  store32(id.data.data(), ts.start.v);
  if (size == 0) {
    id.type = id::kIpv4;
    id.data.resize(4);
  } else if ((size & (size + 1)) == 0 && (ts.start.v & size) == 0) {
    id.type = id::kIpv4Subnet;
    store32(id.data.data() + 4, ~size);
  } else {
    id.type = id::kIpv4Range;
    store32(id.data.data() + 4, ts.end.v);
  }
  return id;
}

std::optional<TrafficSelector> selector_of(const Id& id) {
  TrafficSelector ts;
  ts.ip_protocol = id.ip_protocol;
  if (id.port != 0) ts.start_port = ts.end_port = id.port;
  if (id.type == id::kIpv4 && id.data.size() == 4) {
    ts.start = ts.end = Ipv4{load32(id.data.data())};
    return ts;
  }
  if (id.type == id::kIpv4Subnet && id.data.size() == 8) {
    const uint32_t mask = load32(id.data.data() + 4);
    ts.start = Ipv4{load32(id.data.data()) & mask};
    ts.end = Ipv4{ts.start.v | ~mask};
    return ts;
  }
  if (id.type == id::kIpv4Range && id.data.size() == 8) {
    ts.start = Ipv4{load32(id.data.data())};
    ts.end = Ipv4{load32(id.data.data() + 4)};
    if (ts.end.v < ts.start.v) return std::nullopt;
    return ts;
  }
  return std::nullopt;
}

}  // namespace vfw::ike::v1
