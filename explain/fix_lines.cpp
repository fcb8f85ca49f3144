#include "explain/fix_lines.hpp"

#include <algorithm>

namespace vfw::explain {

std::optional<std::string> address_argument(const std::optional<Wildcard>& w) {
  if (!w || w->wild.v == 0xffffffffU) return std::nullopt;
  const Ipv4 mask{~w->wild.v};
  const Ipv4 base{w->addr.v & mask.v};
  if (length_of_mask(mask)) return to_string(base) + " mask " + to_string(mask);
  return to_string(base) + " " + to_string(w->wild);
}

std::string route_destination(const std::optional<Wildcard>& w) {
  if (!w) return "0.0.0.0 0.0.0.0";
  // The longest prefix whose mask keeps only bits the wildcard fixes.
  unsigned len = 0;
  while (len < 32 && (w->wild.v & (0x80000000U >> len)) == 0) ++len;
  const Ipv4 mask{mask_of_length(len)};
  return to_string(Ipv4{w->addr.v & mask.v}) + " " + to_string(mask);
}

std::string unused_name(const std::string& base, const std::vector<std::string>& taken) {
  auto free = [&](const std::string& n) {
    return std::find(taken.begin(), taken.end(), n) == taken.end();
  };
  if (free(base)) return base;
  for (int i = 2;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (free(n)) return n;
  }
}

std::vector<std::string> security_rule_names(const config::Config& cfg) {
  std::vector<std::string> names;
  for (const auto& r : cfg.security_policy.rules) names.push_back(r.name);
  return names;
}

std::vector<std::string> nat_rule_names(const config::Config& cfg) {
  std::vector<std::string> names;
  for (const auto& r : cfg.nat_policy.rules) names.push_back(r.name);
  return names;
}

std::vector<std::string> rule_fix(const std::string& block, const RuleLines& rule,
                                  const std::string& move_before) {
  std::vector<std::string> lines{"system-view", block, " rule name " + rule.name};
  for (const auto& z : rule.source_zones) lines.push_back("  source-zone " + z);
  for (const auto& z : rule.destination_zones) lines.push_back("  destination-zone " + z);
  for (const auto& a : rule.source_addresses) lines.push_back("  source-address " + a);
  for (const auto& a : rule.destination_addresses) lines.push_back("  destination-address " + a);
  for (const auto& s : rule.services) lines.push_back("  service " + s);
  lines.push_back("  action " + rule.action);
  lines.emplace_back("  quit");
  if (!move_before.empty()) lines.push_back(" rule move " + rule.name + " before " + move_before);
  lines.emplace_back("return");
  return lines;
}

std::vector<std::string> move_fix(const std::string& block, const std::string& name,
                                  const std::string& target) {
  return {"system-view", block, " rule move " + name + " before " + target, "return"};
}

std::string fix_words(const std::vector<std::string>& lines) {
  std::string o;
  for (const auto& line : lines) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const std::string word = line.substr(first);
    if (word == "system-view" || word == "return") continue;
    o += (o.empty() ? "" : "; ") + word;
  }
  return o;
}

}  // namespace vfw::explain
