// IKEv2 messages on the wire (RFC 7296 section 3): the header, and every payload vfw reads or
// writes as a plain structure. Decoding checks every length against its container and returns the
// notification the RFC prescribes for what it cannot accept (INVALID_SYNTAX, or
// UNSUPPORTED_CRITICAL_PAYLOAD for an unknown payload marked critical); encoding chains the
// payloads' Next Payload fields and fills in every length.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ike/ikev2_constants.hpp"
#include "ike/payload_chain.hpp"
#include "packet/address.hpp"

namespace vfw::ike {

using Bytes = std::vector<uint8_t>;

struct Header {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  uint8_t next_payload = 0;
  uint8_t version = kIkev2Version;
  uint8_t exchange = 0;
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0;

  bool is_response() const { return (flags & flag::kResponse) != 0; }
  bool from_initiator() const { return (flags & flag::kInitiator) != 0; }
};

struct Transform {
  uint8_t type = 0;
  uint16_t id = 0;
  std::optional<uint16_t> key_bits;  // the Key Length attribute (AES)
  bool operator==(const Transform&) const = default;
};

struct Proposal {
  uint8_t number = 1;
  uint8_t protocol = protocol::kIke;
  Bytes spi;  // empty in IKE_SA_INIT, 8 bytes for an IKE rekey, 4 for ESP and AH
  std::vector<Transform> transforms;
};

struct KeyExchange {
  uint16_t group = 0;
  Bytes data;
};

struct Identification {
  uint8_t type = id_type::kIpv4Address;
  Bytes data;
  Bytes body() const;        // type, three reserved bytes and data: what the AUTH MAC covers
  std::string text() const;  // "2.1.1.1", "fw3"
  bool operator==(const Identification&) const = default;  // the same type and the same data
};

// The RFC's name of an ID type: "ID_IPV4_ADDR", "ID_FQDN", "ID_RFC822_ADDR", "ID_DER_ASN1_DN".
std::string id_type_name(uint8_t type);
// Two identities as text a person can tell apart: their values, and their types too when the
// values read the same (an FQDN "2.1.1.1" is not the address 2.1.1.1).
std::pair<std::string, std::string> id_texts(const Identification& a, const Identification& b);

struct Authentication {
  uint8_t method = auth_method::kSharedKeyMic;
  Bytes data;
};

struct TrafficSelector {
  uint8_t ip_protocol = 0;  // 0: any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  Ipv4 start;
  Ipv4 end;
  bool operator==(const TrafficSelector&) const = default;
};

struct Notify {
  uint8_t protocol = 0;
  Bytes spi;
  uint16_t type = 0;
  Bytes data;
};

struct Delete {
  uint8_t protocol = 0;
  uint8_t spi_size = 0;
  std::vector<Bytes> spis;
};

// What a message (or the inside of its SK payload) carries, payload by payload.
struct Payloads {
  std::optional<std::vector<Proposal>> sa;
  std::optional<KeyExchange> ke;
  std::optional<Bytes> nonce;
  std::optional<Identification> idi;
  std::optional<Identification> idr;
  std::optional<Authentication> auth;
  std::optional<std::vector<TrafficSelector>> tsi;
  std::optional<std::vector<TrafficSelector>> tsr;
  std::vector<Notify> notifies;
  std::vector<Delete> deletes;
  std::vector<Bytes> vendor_ids;
  std::vector<uint8_t> order;  // the payload types in the order they came

  // The SK payload, always the last: where its body starts in the message, its length, and the
  // type of the first payload inside it.
  bool encrypted = false;
  size_t sk_offset = 0;  // the SK payload's generic header
  size_t sk_length = 0;  // the whole SK payload, header included
  uint8_t sk_first = 0;

  const Notify* find_notify(uint16_t type) const;
  // The first error notification, if any.
  const Notify* error() const;
};

// Why a message could not be decoded, as the notification to answer with (0: nothing to say,
// drop silently, as RFC 7296 section 2.21 asks for messages that cannot be authenticated).
struct DecodeError {
  uint16_t notify = 0;
  Bytes data;  // UNSUPPORTED_CRITICAL_PAYLOAD: the payload type
  std::string reason;
};

std::optional<Header> decode_header(std::span<const uint8_t> message, DecodeError& error);
void encode_header(const Header& h, uint8_t* out);

// Decodes the chain of payloads in bytes, the first of type first. An SK payload is recorded and
// must be the last. base: where bytes starts in the whole message (for sk_offset).
bool decode_payloads(std::span<const uint8_t> bytes, uint8_t first, Payloads& out,
                     DecodeError& error, size_t base = kHeaderBytes);

// IKEv2's payloads written into a chain.
class PayloadWriter : public PayloadChain {
 public:
  void sa(const std::vector<Proposal>& proposals);
  void ke(const KeyExchange& ke);
  void nonce(std::span<const uint8_t> nonce);
  void id(uint8_t type, const Identification& id);
  void auth(const Authentication& auth);
  void notify(const Notify& n);
  void notify(uint16_t type, std::span<const uint8_t> data = {});
  void ts(uint8_t type, const std::vector<TrafficSelector>& selectors);
  void del(const Delete& d);
  void vendor_id(std::span<const uint8_t> id);
};

// Header and payloads as one message, with the header's length and first Next Payload filled in.
Bytes encode_message(Header h, const PayloadWriter& payloads);

std::string exchange_name(uint8_t exchange);

}  // namespace vfw::ike
