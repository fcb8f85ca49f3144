// IKEv1 messages on the wire: the ISAKMP header and payloads (RFC 2408 section 3), with the IPsec
// DOI's SA, identification and notification bodies (RFC 2407 section 4) and RFC 3947's NAT-D.
// Decoding checks every length against its container; what it cannot accept comes back as the
// ISAKMP notification to answer with (PAYLOAD-MALFORMED, INVALID-PAYLOAD-TYPE, ...), together
// with the device's own words for the debugging line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ike/ikev1_constants.hpp"
#include "ike/message.hpp"

namespace vfw::ike::v1 {

struct Header {
  uint64_t cky_i = 0;
  uint64_t cky_r = 0;
  uint8_t next_payload = 0;
  uint8_t version = kVersion;
  uint8_t exchange = 0;
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0;
};

// A data attribute (RFC 2408 3.3): basic (two bytes of value) or variable length.
struct Attribute {
  uint16_t type = 0;
  uint32_t value = 0;  // a variable-length value of up to four bytes reads as a number too
  bool operator==(const Attribute&) const = default;
};

struct Transform {
  uint8_t number = 1;
  uint8_t id = 0;
  std::vector<Attribute> attributes;
  std::optional<uint32_t> find(uint16_t type) const;
};

struct Proposal {
  uint8_t number = 1;
  uint8_t protocol = protocol::kIsakmp;
  Bytes spi;
  std::vector<Transform> transforms;
};

struct SecurityAssociation {
  uint32_t doi = kDoiIpsec;
  uint32_t situation = kSituationIdentityOnly;
  std::vector<Proposal> proposals;
};

// An ID payload's body: the ID type, and for a phase 2 client identity the IP protocol and port.
struct Id {
  uint8_t type = id::kIpv4;
  uint8_t ip_protocol = 0;
  uint16_t port = 0;
  Bytes data;
  Bytes body() const;  // as HASH_I, HASH_R and the quick mode hashes cover it
};

struct Notification {
  uint32_t doi = kDoiIpsec;
  uint8_t protocol = protocol::kIsakmp;
  Bytes spi;
  uint16_t type = 0;
  Bytes data;
};

struct Deletion {
  uint32_t doi = kDoiIpsec;
  uint8_t protocol = protocol::kIsakmp;
  uint8_t spi_size = 16;
  std::vector<Bytes> spis;
};

struct Payloads {
  std::optional<SecurityAssociation> sa;
  Bytes sa_body;  // the first SA payload's body as it came (HASH_I covers the initiator's)
  std::optional<Bytes> ke;
  std::vector<Id> ids;  // phase 1: the peer's; quick mode: IDci then IDcr
  std::optional<Bytes> hash;
  std::optional<Bytes> nonce;
  std::vector<Notification> notifications;
  std::vector<Deletion> deletions;
  std::vector<Bytes> vendor_ids;
  std::vector<Bytes> nat_d;
  // Where the first payload after a HASH payload starts and where the chain ends: the quick mode
  // and informational hashes cover exactly those bytes (RFC 2409 5.5, 5.7).
  size_t after_hash = 0;
  size_t chain_end = 0;
  uint8_t chain_end_type = 0;  // the last payload decoded (the debugging line names it)
  bool has_vendor_id(std::span<const uint8_t> id) const;
};

// Why a message could not be decoded: the notification to send and what the device's
// debugging says ("Invalid Next Payload of Type 60 in Payload Type 5").
struct DecodeError {
  uint16_t notify = notify::kPayloadMalformed;
  std::string reason;
};

std::optional<Header> decode_header(std::span<const uint8_t> message, DecodeError& error);
void encode_header(const Header& h, uint8_t* out);

// The payload chain in bytes, the first of type first. bytes may end in the zero padding of an
// encrypted message, which is not part of any payload.
bool decode_payloads(std::span<const uint8_t> bytes, uint8_t first, Payloads& out,
                     DecodeError& error);

// IKEv1's payloads written into a chain.
class PayloadWriter : public PayloadChain {
 public:
  void sa(const SecurityAssociation& sa);
  void id(const Id& id);
  void notification(const Notification& n);
  void deletion(const Deletion& d);
};

Bytes encode_sa_body(const SecurityAssociation& sa);
// A run of SA attributes, as a transform or a RESPONDER-LIFETIME notification carries them.
Bytes encode_attributes(const std::vector<Attribute>& attributes);
bool decode_attributes(std::span<const uint8_t> bytes, std::vector<Attribute>& out,
                       DecodeError& error);
// Header and payloads as one message, lengths filled in (not encrypted).
Bytes encode_message(Header h, const PayloadWriter& payloads);

// "NO_PROPOSAL_CHOSEN": a notification type in the device's debugging spelling.
std::string notify_name(uint16_t type);
std::string payload_name(uint8_t type);

// A phase 2 client identity from a traffic selector (a subnet when it is one, an address or a
// range otherwise), and back; nullopt for an identity that is not an IPv4 address, subnet or range.
Id client_id(const TrafficSelector& ts);
std::optional<TrafficSelector> selector_of(const Id& id);

}  // namespace vfw::ike::v1
