#include "lab/topology.hpp"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

namespace vfw::lab {
namespace {

class Reader {
 public:
  Reader(std::string file, std::vector<TopologyError>& errors)
      : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& at, const std::string& field, const std::string& message) {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    errors_.push_back({file_, line, field, message});
  }

  // A scalar as text; an error (and nullopt) when it is something else.
  std::optional<std::string> text(const YAML::Node& n, const std::string& field) {
    if (!n.IsScalar()) {
      error(n, field, "a value is expected here");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<uint32_t> number(const YAML::Node& n, const std::string& field, uint32_t max) {
    auto t = text(n, field);
    if (!t) return std::nullopt;
    if (auto v = parse_uint(*t, max)) return *v;
    error(n, field, "\"" + *t + "\" is not a number from 0 to " + std::to_string(max));
    return std::nullopt;
  }

  void host(const YAML::Node& labels, const std::string& field, NodeSpec& n) {
    const YAML::Node address = labels["vfw.address"];
    if (!address) {
      error(labels, field, "a host needs labels: vfw.address (its address with a prefix length)");
      return;
    }
    if (auto t = text(address, field + ".vfw.address")) {
      const size_t slash = t->find('/');
      auto a = parse_ipv4(t->substr(0, slash));
      auto len = slash == std::string::npos ? std::optional<uint32_t>(24)
                                            : parse_uint(t->substr(slash + 1), 32);
      if (!a || !len) {
        error(address, field + ".vfw.address", "\"" + *t + "\" is not an address like 10.1.1.2/24");
      } else {
        n.address = *a;
        n.prefix_length = static_cast<uint8_t>(*len);
      }
    }
    if (const YAML::Node g = labels["vfw.gateway"]) {
      if (auto t = text(g, field + ".vfw.gateway")) {
        if (auto a = parse_ipv4(*t)) {
          n.gateway = *a;
        } else {
          error(g, field + ".vfw.gateway", "\"" + *t + "\" is not an IPv4 address");
        }
      }
    }
    if (const YAML::Node m = labels["vfw.mtu"]) {
      if (auto v = number(m, field + ".vfw.mtu", 9600)) n.mtu = *v;
    }
  }

  std::optional<Endpoint> endpoint(const YAML::Node& e, const std::string& field) {
    auto t = text(e, field);
    if (!t) return std::nullopt;
    const size_t colon = t->find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == t->size()) {
      error(e, field, "\"" + *t + "\" is not NODE:INTERFACE");
      return std::nullopt;
    }
    return Endpoint{t->substr(0, colon), t->substr(colon + 1)};
  }

 private:
  std::string file_;
  std::vector<TopologyError>& errors_;
};

}  // namespace

const NodeSpec* Topology::node(const std::string& node_name) const {
  for (const auto& n : nodes) {
    if (n.name == node_name) return &n;
  }
  return nullptr;
}

std::string TopologyError::format() const {
  return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
         (field.empty() ? "" : field + ": ") + message;
}

namespace {
void read_topology(const YAML::Node& root, const std::string& file, TopologyResult& r);
}  // namespace

TopologyResult parse_topology(const std::string& text, const std::string& file,
                              const std::string& folder) {
  TopologyResult r;
  r.topology.folder = folder;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.errors.push_back({file, e.mark.line + 1, "", e.msg});
    return r;
  }
  try {
    read_topology(root, file, r);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected shape met by an accessor: the same kind of error, at its line.
    r.errors.push_back({file, e.mark.line + 1, "", e.msg});
  }
  return r;
}

namespace {

void read_topology(const YAML::Node& root, const std::string& file, TopologyResult& r) {
  Reader read(file, r.errors);
  if (!root.IsMap()) {
    read.error(root, "", "a lab file is a map with name and topology");
    return;
  }
  if (const YAML::Node name = root["name"]) {
    if (auto t = read.text(name, "name")) r.topology.name = *t;
  } else {
    read.error(root, "name", "missing");
  }
  const YAML::Node topo = root["topology"];
  if (!topo || !topo.IsMap()) {
    read.error(topo ? topo : root, "topology", "missing, or not a map with nodes and links");
    return;
  }
  const YAML::Node nodes = topo["nodes"];
  if (!nodes || !nodes.IsMap()) {
    read.error(nodes ? nodes : topo, "topology.nodes", "missing, or not a map of nodes by name");
    return;
  }
  for (const auto& entry : nodes) {
    NodeSpec n;
    n.name = entry.first.Scalar();
    n.line = entry.first.Mark().line + 1;
    const std::string field = "topology.nodes." + n.name;
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) {
      read.error(entry.first, field, "a node is a map with its kind");
      continue;
    }
    if (const YAML::Node kind = body["kind"]) {
      const auto t = read.text(kind, field + ".kind");
      if (!t) continue;
      // containerlab's own kinds for the same roles are accepted too, so that one file can
      // also start in containerlab (a Huawei VRP image, Linux containers as hosts).
      constexpr std::pair<std::string_view, NodeKind> kKinds[] = {
          {"vfw", NodeKind::Firewall},
          {"huawei_vrp", NodeKind::Firewall},
          {"host", NodeKind::Host},
          {"linux", NodeKind::Host}};
      const auto* found = std::find_if(std::begin(kKinds), std::end(kKinds),
                                       [&](const auto& k) { return k.first == *t; });
      if (found == std::end(kKinds)) {
        read.error(kind, field + ".kind",
                   "\"" + *t + "\" is not a kind of this lab (vfw or huawei_vrp, host or linux)");
        continue;
      }
      n.kind = found->second;
    } else {
      read.error(entry.first, field + ".kind", "missing (vfw or host)");
      continue;
    }
    if (n.kind == NodeKind::Firewall) {
      if (const YAML::Node cfg = body["startup-config"]) {
        if (auto t = read.text(cfg, field + ".startup-config")) n.startup_config = *t;
      } else {
        read.error(entry.first, field + ".startup-config", "a vfw node needs its configuration");
      }
    } else {
      read.host(body["labels"] ? body["labels"] : body, field + ".labels", n);
    }
    r.topology.nodes.push_back(std::move(n));
  }
  const YAML::Node links = topo["links"];
  if (links && !links.IsSequence()) read.error(links, "topology.links", "a list of links");
  std::set<std::string> used;
  for (size_t i = 0; links && links.IsSequence() && i < links.size(); ++i) {
    const YAML::Node l = links[i];
    const std::string field = "topology.links[" + std::to_string(i) + "]";
    const YAML::Node ends = l["endpoints"];
    if (!ends || !ends.IsSequence() || ends.size() != 2) {
      read.error(ends ? ends : l, field + ".endpoints", "two endpoints, NODE:INTERFACE each");
      continue;
    }
    LinkSpec link;
    link.line = l.Mark().line + 1;
    auto a = read.endpoint(ends[0], field + ".endpoints[0]");
    auto b = read.endpoint(ends[1], field + ".endpoints[1]");
    if (!a || !b) continue;
    bool known = true;
    for (const auto* e : {&*a, &*b}) {
      if (r.topology.node(e->node) == nullptr) {
        read.error(ends, field + ".endpoints", "no node named " + e->node);
        known = false;
      } else if (!used.insert(e->node + ":" + e->interface).second) {
        read.error(ends, field + ".endpoints",
                   e->node + ":" + e->interface + " is on another link");
        known = false;
      }
    }
    if (!known) continue;
    link.a = *a;
    link.b = *b;
    if (const YAML::Node m = l["mtu"]) {
      if (auto v = read.number(m, field + ".mtu", 9600)) link.mtu = *v;
    }
    if (const YAML::Node labels = l["labels"]) {
      if (const YAML::Node d = labels["vfw.delay-ms"]) {
        if (auto v = read.number(d, field + ".labels.vfw.delay-ms", 60000)) link.delay_ms = *v;
      }
      if (const YAML::Node p = labels["vfw.loss"]) {
        if (auto t = read.text(p, field + ".labels.vfw.loss")) {
          char* end = nullptr;
          const double v = std::strtod(t->c_str(), &end);
          if (end == t->c_str() || *end != '\0' || v < 0 || v > 1) {
            read.error(p, field + ".labels.vfw.loss", "\"" + *t + "\" is not a share from 0 to 1");
          } else {
            link.loss = v;
          }
        }
      }
      if (const YAML::Node d = labels["vfw.drop"]) {
        if (auto t = read.text(d, field + ".labels.vfw.drop")) {
          std::istringstream in(*t);
          for (std::string what; std::getline(in, what, ',');) {
            while (!what.empty() && what.front() == ' ') what.erase(0, 1);
            while (!what.empty() && what.back() == ' ') what.pop_back();
            if (what != "esp" && what != "udp 500" && what != "udp 4500") {
              read.error(d, field + ".labels.vfw.drop",
                         "\"" + what + "\" is not one of: udp 500, udp 4500, esp");
              continue;
            }
            link.drop.push_back(what);
          }
        }
      }
    }
    r.topology.links.push_back(std::move(link));
  }
}

}  // namespace

TopologyResult load_topology(const std::string& path) {
  // A lab file is a few kilobytes: a device, a FIFO or a huge file is refused before reading.
  constexpr off_t kMaxBytes = 16 << 20;
  auto refuse = [&](const std::string& why) {
    TopologyResult r;
    r.errors.push_back({path, 0, "", why});
    return r;
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return refuse("cannot be read");
  if (!S_ISREG(st.st_mode)) return refuse("is not a regular file");
  if (st.st_size > kMaxBytes) return refuse("is larger than 16 MiB; a lab file is not");
  std::ifstream in(path, std::ios::binary);
  if (!in) return refuse("cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  const size_t slash = path.rfind('/');
  return parse_topology(s.str(), path, slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace vfw::lab
