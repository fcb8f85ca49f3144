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

namespace notify {
// Errors (below 16384).
inline constexpr uint16_t kUnsupportedCriticalPayload = 1;
inline constexpr uint16_t kInvalidIkeSpi = 4;
inline constexpr uint16_t kInvalidMajorVersion = 5;
inline constexpr uint16_t kInvalidSyntax = 7;
inline constexpr uint16_t kInvalidMessageId = 9;
inline constexpr uint16_t kInvalidSpi = 11;
inline constexpr uint16_t kNoProposalChosen = 14;
inline constexpr uint16_t kInvalidKePayload = 17;
inline constexpr uint16_t kAuthenticationFailed = 24;
inline constexpr uint16_t kSinglePairRequired = 34;
inline constexpr uint16_t kNoAdditionalSas = 35;
inline constexpr uint16_t kInternalAddressFailure = 36;
inline constexpr uint16_t kFailedCpRequired = 37;
inline constexpr uint16_t kTsUnacceptable = 38;
inline constexpr uint16_t kInvalidSelectors = 39;
inline constexpr uint16_t kTemporaryFailure = 43;
inline constexpr uint16_t kChildSaNotFound = 44;
inline constexpr uint16_t kFirstStatus = 16384;
// Status.
inline constexpr uint16_t kInitialContact = 16384;
inline constexpr uint16_t kSetWindowSize = 16385;
inline constexpr uint16_t kAdditionalTsPossible = 16386;
inline constexpr uint16_t kIpcompSupported = 16387;
inline constexpr uint16_t kNatDetectionSourceIp = 16388;
inline constexpr uint16_t kNatDetectionDestinationIp = 16389;
inline constexpr uint16_t kCookie = 16390;
inline constexpr uint16_t kUseTransportMode = 16391;
inline constexpr uint16_t kRekeySa = 16393;
inline constexpr uint16_t kEspTfcPaddingNotSupported = 16394;
inline constexpr uint16_t kNonFirstFragmentsAlso = 16395;
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
