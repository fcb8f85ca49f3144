#include "lab/host_exec.hpp"

#include <sstream>

namespace vfw::lab {
namespace {

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string word; in >> word;) w.push_back(word);
  return w;
}

// iproute2 takes any leading part of an object or command word ("a", "addr", "address").
bool abbreviates(const std::string& typed, const std::string& word, size_t shortest = 1) {
  return typed.size() >= shortest && typed.size() <= word.size() &&
         word.compare(0, typed.size(), typed) == 0;
}

// The word after key in w (from index from), if any.
std::optional<std::string> after(const std::vector<std::string>& w, size_t from,
                                 const std::string& key) {
  for (size_t i = from; i + 1 < w.size(); ++i) {
    if (w[i] == key) return w[i + 1];
  }
  return std::nullopt;
}

std::optional<std::pair<Ipv4, uint8_t>> address_with_length(const std::string& text) {
  const size_t slash = text.find('/');
  const auto a = parse_ipv4(text.substr(0, slash));
  const auto len = slash == std::string::npos ? std::optional<uint32_t>(32)
                                              : parse_uint(text.substr(slash + 1), 32);
  if (!a || !len) return std::nullopt;
  return std::make_pair(*a, static_cast<uint8_t>(*len));
}

}  // namespace

HostExec read_host_exec(const std::vector<std::string>& lines, std::vector<ExecNote>& notes) {
  HostExec h;
  for (size_t n = 0; n < lines.size(); ++n) {
    auto error = [&](const std::string& m) { notes.push_back({n, true, m}); };
    auto ignored = [&](const std::string& m) { notes.push_back({n, false, m}); };
    std::vector<std::string> w = words_of(lines[n]);
    if (w.empty()) continue;
    if (w[0] != "ip") {
      ignored("`" + w[0] +
              "` is not emulated (a lab host has an address, a default gateway and "
              "an MTU; it answers ping and traceroute); ignored");
      continue;
    }
    size_t i = 1;
    bool v6 = false;
    while (i < w.size() && w[i].size() > 1 && w[i][0] == '-') {
      v6 = v6 || w[i] == "-6";
      ++i;
    }
    if (v6) {
      ignored("IPv6 is not emulated yet; ignored");
      continue;
    }
    if (i + 1 >= w.size()) {
      ignored("nothing to emulate; ignored");
      continue;
    }
    const std::string& object = w[i];
    const std::string& command = w[i + 1];
    if (abbreviates(object, "address")) {
      if (!abbreviates(command, "add") && !abbreviates(command, "replace") &&
          !abbreviates(command, "change")) {
        ignored("`ip address " + command + "` is not emulated; ignored");
        continue;
      }
      const auto a = i + 2 < w.size() ? address_with_length(w[i + 2]) : std::nullopt;
      if (!a) {
        error("`" + (i + 2 < w.size() ? w[i + 2] : std::string()) +
              "` is not an IPv4 address with its prefix length (10.1.1.2/24)");
        continue;
      }
      const std::string dev = after(w, i + 3, "dev").value_or("");
      if (h.address && *h.address != a->first) {
        error("a second address (" + w[i + 2] + "): a lab host has one interface and one address");
        continue;
      }
      h.address = a->first;
      h.prefix_length = a->second;
      h.interface = dev;
    } else if (abbreviates(object, "route")) {
      const bool del = abbreviates(command, "delete", 3);
      if (!del && !abbreviates(command, "add") && !abbreviates(command, "replace") &&
          !abbreviates(command, "append") && !abbreviates(command, "change")) {
        ignored("`ip route " + command + "` is not emulated; ignored");
        continue;
      }
      const std::string to = i + 2 < w.size() ? w[i + 2] : "";
      if (to != "default" && to != "0.0.0.0/0" && to != "0/0") {
        error("a route to " + to +
              ": a lab host routes by one default gateway (ip route add default via GATEWAY)");
        continue;
      }
      if (del) {
        h.gateway.reset();
        continue;
      }
      const auto via = after(w, i + 3, "via");
      const auto g = via ? parse_ipv4(*via) : std::nullopt;
      if (!g) {
        error("a default route needs `via GATEWAY` with an IPv4 address");
        continue;
      }
      h.gateway = *g;
    } else if (abbreviates(object, "link")) {
      if (!abbreviates(command, "set")) {
        ignored("`ip link " + command + "` is not emulated; ignored");
        continue;
      }
      if (const auto m = after(w, i + 2, "mtu")) {
        const auto v = parse_uint(*m, 65535);
        if (!v || *v < 68) {
          error("`mtu " + *m + "` is not an MTU from 68 to 65535");
          continue;
        }
        h.mtu = *v;
      }
    } else {
      ignored("`ip " + object + "` is not emulated; ignored");
    }
  }
  return h;
}

}  // namespace vfw::lab
