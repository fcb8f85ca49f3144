// The IKE configuration's keyword-valued settings, each one X-macro table (enum, the device's
// keyword): the model holds the enum, the CLI parses and the rendering prints the keyword, and
// code compares enums. Unset is the setting never typed (the device's default applies, and
// display current-configuration prints nothing).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vfw::config {

// ike peer: exchange-mode (IKEv1's phase 1).
#define VFW_EXCHANGE_MODES(X) \
  X(Unset, "")                \
  X(Main, "main")             \
  X(Aggressive, "aggressive") \
  X(Auto, "auto")

// ike peer: local-id-type and remote-id-type.
#define VFW_ID_TYPES(X)    \
  X(Unset, "")             \
  X(Ip, "ip")              \
  X(Fqdn, "fqdn")          \
  X(UserFqdn, "user-fqdn") \
  X(Dn, "dn")              \
  X(Any, "any")

// ike proposal: authentication-method.
#define VFW_AUTHENTICATION_METHODS(X) \
  X(PreShare, "pre-share")            \
  X(RsaSignature, "rsa-signature")    \
  X(DigitalEnvelope, "digital-envelope")

// ipsec policy: sa trigger-mode.
#define VFW_TRIGGER_MODES(X) \
  X(Unset, "")               \
  X(Auto, "auto")            \
  X(TrafficBased, "traffic-based")

#define VFW_KEYWORD_ENUM(Type, TABLE)                                              \
  enum class Type : uint8_t { TABLE(VFW_KEYWORD_ENUMERATOR) };                     \
  inline constexpr std::array k##Type##Words = {TABLE(VFW_KEYWORD_WORD)};          \
  constexpr std::string_view keyword(Type v) {                                     \
    return k##Type##Words[static_cast<size_t>(v)];                                 \
  }                                                                                \
  inline std::optional<Type> parse_##Type(std::string_view word) {                 \
    for (size_t i = 0; i < k##Type##Words.size(); ++i) {                           \
      if (!word.empty() && k##Type##Words[i] == word) return static_cast<Type>(i); \
    }                                                                              \
    return std::nullopt;                                                           \
  }
#define VFW_KEYWORD_ENUMERATOR(e, word) e,
#define VFW_KEYWORD_WORD(e, word) std::string_view{word},

VFW_KEYWORD_ENUM(ExchangeMode, VFW_EXCHANGE_MODES)
VFW_KEYWORD_ENUM(IdType, VFW_ID_TYPES)
VFW_KEYWORD_ENUM(AuthenticationMethod, VFW_AUTHENTICATION_METHODS)
VFW_KEYWORD_ENUM(TriggerMode, VFW_TRIGGER_MODES)

#undef VFW_KEYWORD_ENUM
#undef VFW_KEYWORD_ENUMERATOR
#undef VFW_KEYWORD_WORD

}  // namespace vfw::config
