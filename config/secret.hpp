// Secrets of the configuration (manual SA keys now, IKE's pre-shared key next) are never shown,
// saved or echoed in clear. display current-configuration and save print the device's cipher
// form, %^%#...%^%#: a real, reversible encryption (AES-256-GCM) under a key of this machine's
// vfw (created on first use, 0600, in $VFW_DEVICE_KEY or ~/.config/vfw/device.key), so that a
// saved file loads back here and shows nothing to whoever reads it elsewhere. The nonce is
// derived from the secret (HMAC-SHA-256 under the same key), so the same secret always prints
// the same way and a configuration prints back identically.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vfw::config {

inline constexpr std::string_view kSealMark = "%^%#";

// The folder of this machine's vfw, ~/.config/vfw (/tmp/.config/vfw without a HOME): its device
// key, and the SSH host key of `vfw run`.
std::string machine_folder();
// Makes the folders a file at path needs, each missing one private to its owner (0700): a fresh
// account's ~/.config/vfw, with ~/.config itself when it is missing too.
void make_folders_for(const std::string& path);

bool is_sealed(std::string_view text);
// Any of the cipher forms devices print a secret in: %^%#...%^%# (V500, and vfw's own seal),
// %$%$...%$%$ (V300) and @%@%...@%@%. Another device's cannot be opened here.
bool is_cipher_text(std::string_view text);
std::string seal_secret(std::string_view clear);
// nullopt when the text was not sealed by this machine's key, or was altered.
std::optional<std::string> open_secret(std::string_view sealed);

}  // namespace vfw::config
