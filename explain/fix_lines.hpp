// The configuration lines a fix asks the user to type, as the device takes them: each fix starts
// with `system-view` and ends with `return`, so that it can be pasted at the user view of the CLI
// (vfw's or the device's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vfw::explain {

// "10.1.1.0 mask 255.255.255.0" for a contiguous wildcard, "10.1.1.0 0.0.0.255" otherwise;
// nullopt for any address.
std::optional<std::string> address_argument(const std::optional<Wildcard>& w);

// "10.2.1.0 255.255.255.0", the destination of a static route covering what the ACL rule's
// destination covers (its smallest enclosing prefix when the wildcard is not contiguous).
std::string route_destination(const std::optional<Wildcard>& w);

// A fix as one line for a sentence: its commands without system-view and return, "; " between.
std::string fix_words(const std::vector<std::string>& lines);

// A rule name of the form base, base_2, base_3 ... that none of taken has.
std::string unused_name(const std::string& base, const std::vector<std::string>& taken);
std::vector<std::string> security_rule_names(const config::Config& cfg);
std::vector<std::string> nat_rule_names(const config::Config& cfg);

// A rule of a nat-policy or security-policy block, indented as the device prints it.
struct RuleLines {
  std::string name;
  std::vector<std::string> source_zones, destination_zones;
  std::vector<std::string> source_addresses, destination_addresses;  // address_argument() forms
  std::vector<std::string> services;                                 // "protocol udp ..." lines
  std::string action;                                                // "permit", "no-nat"
};

// system-view / BLOCK / rule name ... / quit / [rule move NAME before ABOVE] / return, where
// block is "security-policy" or "nat-policy".
std::vector<std::string> rule_fix(const std::string& block, const RuleLines& rule,
                                  const std::string& move_before);

// system-view / BLOCK / rule move NAME before TARGET / return.
std::vector<std::string> move_fix(const std::string& block, const std::string& name,
                                  const std::string& target);

}  // namespace vfw::explain
