// IKEv2's numbers (RFC 7296 section 3 and the IANA "IKEv2 Parameters" registry): exchange types,
// payload types, notify message types, transform types and their IDs, identification types.
#pragma once

#include <cstdint>
#include <string>

namespace vfw::ike {

inline constexpr uint8_t kIkev2Version = 0x20;  // major 2, minor 0
inline constexpr uint16_t kIkePort = 500;
inline constexpr uint16_t kNatTraversalPort = 4500;
inline constexpr size_t kHeaderBytes = 28;
inline constexpr size_t kPayloadHeaderBytes = 4;

namespace exchange {
inline constexpr uint8_t kIkeSaInit = 34;
inline constexpr uint8_t kIkeAuth = 35;
inline constexpr uint8_t kCreateChildSa = 36;
inline constexpr uint8_t kInformational = 37;
}  // namespace exchange

namespace flag {
inline constexpr uint8_t kInitiator = 0x08;
inline constexpr uint8_t kVersion = 0x10;
inline constexpr uint8_t kResponse = 0x20;
}  // namespace flag

namespace payload {
inline constexpr uint8_t kNone = 0;
inline constexpr uint8_t kSa = 33;
inline constexpr uint8_t kKe = 34;
inline constexpr uint8_t kIdi = 35;
inline constexpr uint8_t kIdr = 36;
inline constexpr uint8_t kCert = 37;
inline constexpr uint8_t kCertReq = 38;
inline constexpr uint8_t kAuth = 39;
inline constexpr uint8_t kNonce = 40;
inline constexpr uint8_t kNotify = 41;
inline constexpr uint8_t kDelete = 42;
inline constexpr uint8_t kVendorId = 43;
inline constexpr uint8_t kTsi = 44;
inline constexpr uint8_t kTsr = 45;
inline constexpr uint8_t kSk = 46;
inline constexpr uint8_t kCp = 47;
inline constexpr uint8_t kEap = 48;
inline constexpr uint8_t kSkf = 53;  // RFC 7383 fragment
}  // namespace payload

namespace protocol {
inline constexpr uint8_t kIke = 1;
inline constexpr uint8_t kAh = 2;
inline constexpr uint8_t kEsp = 3;
}  // namespace protocol

// X(constant, type, name): the notification types RFC 7296 defines that vfw sends or reads, with
// the names the RFC and the device's debugging print (notify_name).
#define VFW_IKEV2_NOTIFIES(X)                                           \
  X(kUnsupportedCriticalPayload, 1, "UNSUPPORTED_CRITICAL_PAYLOAD")     \
  X(kInvalidIkeSpi, 4, "INVALID_IKE_SPI")                               \
  X(kInvalidMajorVersion, 5, "INVALID_MAJOR_VERSION")                   \
  X(kInvalidSyntax, 7, "INVALID_SYNTAX")                                \
  X(kInvalidMessageId, 9, "INVALID_MESSAGE_ID")                         \
  X(kInvalidSpi, 11, "INVALID_SPI")                                     \
  X(kNoProposalChosen, 14, "NO_PROPOSAL_CHOSEN")                        \
  X(kInvalidKePayload, 17, "INVALID_KE_PAYLOAD")                        \
  X(kAuthenticationFailed, 24, "AUTHENTICATION_FAILED")                 \
  X(kSinglePairRequired, 34, "SINGLE_PAIR_REQUIRED")                    \
  X(kNoAdditionalSas, 35, "NO_ADDITIONAL_SAS")                          \
  X(kInternalAddressFailure, 36, "INTERNAL_ADDRESS_FAILURE")            \
  X(kFailedCpRequired, 37, "FAILED_CP_REQUIRED")                        \
  X(kTsUnacceptable, 38, "TS_UNACCEPTABLE")                             \
  X(kInvalidSelectors, 39, "INVALID_SELECTORS")                         \
  X(kTemporaryFailure, 43, "TEMPORARY_FAILURE")                         \
  X(kChildSaNotFound, 44, "CHILD_SA_NOT_FOUND")                         \
  X(kInitialContact, 16384, "INITIAL_CONTACT")                          \
  X(kSetWindowSize, 16385, "SET_WINDOW_SIZE")                           \
  X(kAdditionalTsPossible, 16386, "ADDITIONAL_TS_POSSIBLE")             \
  X(kIpcompSupported, 16387, "IPCOMP_SUPPORTED")                        \
  X(kNatDetectionSourceIp, 16388, "NAT_DETECTION_SOURCE_IP")            \
  X(kNatDetectionDestinationIp, 16389, "NAT_DETECTION_DESTINATION_IP")  \
  X(kCookie, 16390, "COOKIE")                                           \
  X(kUseTransportMode, 16391, "USE_TRANSPORT_MODE")                     \
  X(kRekeySa, 16393, "REKEY_SA")                                        \
  X(kEspTfcPaddingNotSupported, 16394, "ESP_TFC_PADDING_NOT_SUPPORTED") \
  X(kNonFirstFragmentsAlso, 16395, "NON_FIRST_FRAGMENTS_ALSO")

namespace notify {
#define VFW_CONSTANT(k, type, name) inline constexpr uint16_t k = type;
VFW_IKEV2_NOTIFIES(VFW_CONSTANT)
#undef VFW_CONSTANT
inline constexpr uint16_t kFirstStatus = 16384;  // below: errors; from here: status types
}  // namespace notify

namespace transform {
inline constexpr uint8_t kEncryption = 1;
inline constexpr uint8_t kPrf = 2;
inline constexpr uint8_t kIntegrity = 3;
inline constexpr uint8_t kDhGroup = 4;
inline constexpr uint8_t kEsn = 5;
inline constexpr uint16_t kKeyLengthAttribute = 14;  // TV format: the AF bit (0x8000) set
}  // namespace transform

namespace encr {
inline constexpr uint16_t k3Des = 3;
inline constexpr uint16_t kAesCbc = 12;
inline constexpr uint16_t kAesGcm16 = 20;  // RFC 5282: 16-octet ICV
}  // namespace encr

namespace prf_id {
inline constexpr uint16_t kHmacMd5 = 1;
inline constexpr uint16_t kHmacSha1 = 2;
inline constexpr uint16_t kHmacSha256 = 5;
inline constexpr uint16_t kHmacSha384 = 6;
inline constexpr uint16_t kHmacSha512 = 7;
}  // namespace prf_id

namespace integ {
inline constexpr uint16_t kNone = 0;
inline constexpr uint16_t kHmacMd5_96 = 1;
inline constexpr uint16_t kHmacSha1_96 = 2;
inline constexpr uint16_t kHmacSha256_128 = 12;
inline constexpr uint16_t kHmacSha384_192 = 13;
inline constexpr uint16_t kHmacSha512_256 = 14;
}  // namespace integ

namespace id_type {
inline constexpr uint8_t kIpv4Address = 1;
inline constexpr uint8_t kFqdn = 2;
inline constexpr uint8_t kRfc822Address = 3;
inline constexpr uint8_t kIpv6Address = 5;
inline constexpr uint8_t kDerAsn1Dn = 9;
inline constexpr uint8_t kKeyId = 11;
}  // namespace id_type

namespace auth_method {
inline constexpr uint8_t kSharedKeyMic = 2;
}  // namespace auth_method

inline constexpr uint8_t kTsIpv4AddressRange = 7;

// The name of a notify type as RFC 7296 spells it, for logs and diagnostics ("NOTIFY_16999" when
// unknown).
std::string notify_name(uint16_t type);

}  // namespace vfw::ike
