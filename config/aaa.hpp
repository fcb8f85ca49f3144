// The device's local administrators: `manager-user` under `aaa`, as the SSH server logs them in.
//
// The aaa block stays the configuration's own text (most of it, authentication schemes, domains,
// roles, is not emulated and is printed back verbatim); what vfw reads from it are the
// manager-users, their password, service types and level. A password typed in clear after
// `password cipher` is kept sealed (config/secret.hpp), never in clear, as the device encrypts it;
// one in the device's own cipher (@%@%...@%@%, %$%$...%$%$, or %^%# from another machine) is kept
// as written, and such a user cannot log in to vfw until the password is set again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace vfw::config {

struct ManagerUser {
  std::string name;
  std::string password;                    // as configured, in a cipher form; empty: none set
  std::vector<std::string> service_types;  // "ssh", "telnet", "terminal", "web", "api", ...
  int level = -1;                          // 0..15; -1: not set
  bool allows(std::string_view service) const;
};

// Every manager-user of the configuration's aaa blocks, in order.
std::vector<ManagerUser> manager_users(const Config& config);

enum class PasswordCheck : uint8_t {
  Match,
  Mismatch,
  NotSet,      // the user has no password: nobody logs in as them
  Unreadable,  // the device's own cipher, or another machine's seal: vfw cannot check it
};
PasswordCheck check_password(const ManagerUser& user, std::string_view typed);

bool is_aaa_block(const OpaqueBlock& block);

// A line of a configuration file inside an aaa block, as kept: `password cipher CLEAR` sealed,
// anything else verbatim.
std::string aaa_line_as_kept(std::string_view line);

// A line typed in the aaa view (user empty) or in the view of manager-user `user`: added to the
// block where the device would print it, indented as it prints it; `password cipher` replaces the
// user's password, sealed. Returns the manager-user whose view the line opens, if it opens one.
std::optional<std::string> keep_typed_aaa_line(OpaqueBlock& block, const std::string& user,
                                               std::string_view line);

}  // namespace vfw::config
