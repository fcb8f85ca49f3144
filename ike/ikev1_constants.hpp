// IKEv1's numbers: ISAKMP (RFC 2408 section 3), the IPsec DOI (RFC 2407 section 4), IKE's phase 1
// attributes (RFC 2409 appendix A), NAT traversal (RFC 3947) and dead peer detection (RFC 3706).
#pragma once

#include <array>
#include <cstdint>

namespace vfw::ike::v1 {

inline constexpr uint8_t kVersion = 0x10;  // major 1, minor 0
inline constexpr uint32_t kDoiIpsec = 1;
inline constexpr uint32_t kSituationIdentityOnly = 1;

namespace exchange {
inline constexpr uint8_t kMain = 2;  // identity protection
inline constexpr uint8_t kAggressive = 4;
inline constexpr uint8_t kInformational = 5;
inline constexpr uint8_t kQuick = 32;
}  // namespace exchange

namespace flag {
inline constexpr uint8_t kEncryption = 0x01;
inline constexpr uint8_t kCommit = 0x02;
inline constexpr uint8_t kAuthenticationOnly = 0x04;
}  // namespace flag

namespace payload {
inline constexpr uint8_t kNone = 0;
inline constexpr uint8_t kSa = 1;
inline constexpr uint8_t kProposal = 2;
inline constexpr uint8_t kTransform = 3;
inline constexpr uint8_t kKe = 4;
inline constexpr uint8_t kId = 5;
inline constexpr uint8_t kCert = 6;
inline constexpr uint8_t kCertRequest = 7;
inline constexpr uint8_t kHash = 8;
inline constexpr uint8_t kSignature = 9;
inline constexpr uint8_t kNonce = 10;
inline constexpr uint8_t kNotification = 11;
inline constexpr uint8_t kDelete = 12;
inline constexpr uint8_t kVendorId = 13;
inline constexpr uint8_t kNatD = 20;   // RFC 3947
inline constexpr uint8_t kNatOa = 21;  // RFC 3947
inline constexpr uint8_t kNatDDraft = 130;
inline constexpr uint8_t kNatOaDraft = 131;
}  // namespace payload

namespace protocol {
inline constexpr uint8_t kIsakmp = 1;
inline constexpr uint8_t kAh = 2;
inline constexpr uint8_t kEsp = 3;
}  // namespace protocol

inline constexpr uint8_t kKeyIke = 1;  // phase 1's only transform ID

// Phase 1 SA attributes (RFC 2409 appendix A).
namespace attr {
inline constexpr uint16_t kEncryption = 1;
inline constexpr uint16_t kHash = 2;
inline constexpr uint16_t kAuthMethod = 3;
inline constexpr uint16_t kGroup = 4;
inline constexpr uint16_t kLifeType = 11;
inline constexpr uint16_t kLifeDuration = 12;
inline constexpr uint16_t kKeyLength = 14;
}  // namespace attr

// Phase 2 (IPsec DOI) SA attributes (RFC 2407 4.5).
namespace ipsec_attr {
inline constexpr uint16_t kLifeType = 1;
inline constexpr uint16_t kLifeDuration = 2;
inline constexpr uint16_t kGroup = 3;
inline constexpr uint16_t kEncapsulation = 4;
inline constexpr uint16_t kAuthentication = 5;
inline constexpr uint16_t kKeyLength = 6;
}  // namespace ipsec_attr

namespace life {
inline constexpr uint16_t kSeconds = 1;
inline constexpr uint16_t kKilobytes = 2;
}  // namespace life

namespace encapsulation {
inline constexpr uint16_t kTunnel = 1;
inline constexpr uint16_t kTransport = 2;
inline constexpr uint16_t kUdpTunnel = 3;     // RFC 3947
inline constexpr uint16_t kUdpTransport = 4;  // RFC 3947
inline constexpr uint16_t kUdpTunnelDraft = 61443;
inline constexpr uint16_t kUdpTransportDraft = 61444;
}  // namespace encapsulation

inline constexpr uint16_t kAuthPreSharedKey = 1;

// ESP and AH transform IDs (RFC 2407 4.4.3, 4.4.4; IANA "IPSEC ESP Transform Identifiers").
namespace esp {
inline constexpr uint8_t kDes = 2;
inline constexpr uint8_t k3Des = 3;
inline constexpr uint8_t kNull = 11;
inline constexpr uint8_t kAesCbc = 12;
inline constexpr uint8_t kAesGcm16 = 20;
}  // namespace esp
namespace ah {
inline constexpr uint8_t kMd5 = 2;
inline constexpr uint8_t kSha1 = 3;
inline constexpr uint8_t kSha256 = 5;
inline constexpr uint8_t kSha384 = 6;
inline constexpr uint8_t kSha512 = 7;
}  // namespace ah
// The Authentication Algorithm attribute of an ESP or AH transform.
namespace auth_alg {
inline constexpr uint16_t kHmacMd5 = 1;
inline constexpr uint16_t kHmacSha1 = 2;
inline constexpr uint16_t kHmacSha256 = 5;
inline constexpr uint16_t kHmacSha384 = 6;
inline constexpr uint16_t kHmacSha512 = 7;
}  // namespace auth_alg

// Identification types (RFC 2407 4.6.2.1).
namespace id {
inline constexpr uint8_t kIpv4 = 1;
inline constexpr uint8_t kFqdn = 2;
inline constexpr uint8_t kUserFqdn = 3;
inline constexpr uint8_t kIpv4Subnet = 4;
inline constexpr uint8_t kIpv4Range = 7;
inline constexpr uint8_t kDerAsn1Dn = 9;
}  // namespace id

// Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706).
// X(constant, type, name): the notification types RFC 2408 (and RFC 3706) defines that vfw sends or
// reads, with the names the RFC and the device's debugging print (notify_name).
#define VFW_IKEV1_NOTIFIES(X)                                  \
  X(kInvalidPayloadType, 1, "INVALID_PAYLOAD_TYPE")            \
  X(kDoiNotSupported, 2, "DOI_NOT_SUPPORTED")                  \
  X(kSituationNotSupported, 3, "SITUATION_NOT_SUPPORTED")      \
  X(kInvalidCookie, 4, "INVALID_COOKIE")                       \
  X(kInvalidMajorVersion, 5, "INVALID_MAJOR_VERSION")          \
  X(kInvalidExchangeType, 7, "INVALID_EXCHANGE_TYPE")          \
  X(kInvalidFlags, 8, "INVALID_FLAGS")                         \
  X(kInvalidMessageId, 9, "INVALID_MESSAGE_ID")                \
  X(kInvalidProtocolId, 10, "INVALID_PROTOCOL_ID")             \
  X(kInvalidSpi, 11, "INVALID_SPI")                            \
  X(kInvalidTransformId, 12, "INVALID_TRANSFORM_ID")           \
  X(kAttributesNotSupported, 13, "ATTRIBUTES_NOT_SUPPORTED")   \
  X(kNoProposalChosen, 14, "NO_PROPOSAL_CHOSEN")               \
  X(kBadProposalSyntax, 15, "BAD_PROPOSAL_SYNTAX")             \
  X(kPayloadMalformed, 16, "PAYLOAD_MALFORMED")                \
  X(kInvalidKeyInformation, 17, "INVALID_KEY_INFORMATION")     \
  X(kInvalidIdInformation, 18, "INVALID_ID_INFORMATION")       \
  X(kInvalidHashInformation, 23, "INVALID_HASH_INFORMATION")   \
  X(kAuthenticationFailed, 24, "AUTHENTICATION_FAILED")        \
  X(kUnsupportedExchangeType, 29, "UNSUPPORTED_EXCHANGE_TYPE") \
  X(kResponderLifetime, 24576, "RESPONDER_LIFETIME")           \
  X(kInitialContact, 24578, "INITIAL_CONTACT")                 \
  X(kRUThere, 36136, "R_U_THERE")                              \
  X(kRUThereAck, 36137, "R_U_THERE_ACK")

namespace notify {
#define VFW_CONSTANT(k, type, name) inline constexpr uint16_t k = type;
VFW_IKEV1_NOTIFIES(VFW_CONSTANT)
#undef VFW_CONSTANT
}  // namespace notify

// Vendor IDs: RFC 3947's is MD5("RFC 3947"); RFC 3706's DPD ID is fixed.
inline constexpr std::array<uint8_t, 16> kNatTraversalVid = {
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
inline constexpr std::array<uint8_t, 16> kDpdVid = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                                    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};

}  // namespace vfw::ike::v1
