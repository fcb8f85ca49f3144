#include "lab/topology.hpp"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "lab/host_exec.hpp"

namespace vfw::lab {
namespace {

class Reader {
 public:
  Reader(std::string file, TopologyResult& r) : file_(std::move(file)), r_(r) {}

  void error(const YAML::Node& at, const std::string& field, const std::string& message) {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    r_.errors.push_back({file_, line, field, message});
  }
  void note(const YAML::Node& at, const std::string& field, const std::string& message) {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    r_.notes.push_back({file_, line, field, message});
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

  // A host's labels: its address (unless its exec lines gave one), gateway and MTU.
  void host(const YAML::Node& labels, const std::string& field, bool have_address, NodeSpec& n) {
    const YAML::Node address = labels["vfw.address"];
    if (!address && !have_address) {
      error(labels, field,
            "a host needs its address: an exec line `ip addr add 10.1.1.2/24 dev eth1`, or "
            "labels: vfw.address");
      return;
    }
    // The exec lines' address, when they gave one, stands; the label is the fallback.
    if (!have_address) {
      if (auto t = text(address, field + ".vfw.address")) {
        const size_t slash = t->find('/');
        auto a = parse_ipv4(t->substr(0, slash));
        auto len = slash == std::string::npos ? std::optional<uint32_t>(24)
                                              : parse_uint(t->substr(slash + 1), 32);
        if (!a || !len) {
          error(address, field + ".vfw.address",
                "\"" + *t + "\" is not an address like 10.1.1.2/24");
        } else {
          n.address = *a;
          n.prefix_length = static_cast<uint8_t>(*len);
        }
      }
    }
    if (const YAML::Node g = labels["vfw.gateway"]; g && !n.gateway) {
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
    // containerlab's extended form: {node: fw1, interface: eth1}.
    if (e.IsMap()) {
      const YAML::Node node = e["node"];
      const YAML::Node interface = e["interface"];
      if (!node || !interface) {
        error(e, field, "an endpoint is NODE:INTERFACE or {node: NODE, interface: INTERFACE}");
        return std::nullopt;
      }
      auto a = text(node, field + ".node");
      auto b = text(interface, field + ".interface");
      if (!a || !b) return std::nullopt;
      return Endpoint{*a, *b};
    }
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
  TopologyResult& r_;
};

// containerlab's inheritance: a node's field is its own, else its kind's (topology.kinds), else
// the defaults' (topology.defaults).
struct Inheritance {
  YAML::Node defaults;
  YAML::Node kinds;
  YAML::Node field(const YAML::Node& body, const std::string& kind, const char* name) const {
    if (const YAML::Node v = body[name]) return v;
    const YAML::Node& k = kinds;  // const: reading never inserts
    if (k && k.IsMap() && !kind.empty()) {
      if (const YAML::Node of_kind = k[kind]; of_kind && of_kind.IsMap()) {
        if (const YAML::Node v = of_kind[name]) return v;
      }
    }
    const YAML::Node& d = defaults;
    if (d && d.IsMap()) {
      if (const YAML::Node v = d[name]) return v;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
};

// The vfw image, however it is named: vfw, vfw:latest, registry.example/team/vfw:1.2.
bool runs_vfw(const std::string& image) {
  std::string name = image.substr(image.rfind('/') == std::string::npos ? 0 : image.rfind('/') + 1);
  name = name.substr(0, name.find(':'));
  name = name.substr(0, name.find('@'));
  return name == "vfw";
}

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string word; in >> word;) {
    if (word.size() >= 2 && (word.front() == '"' || word.front() == '\'') &&
        word.back() == word.front())
      word = word.substr(1, word.size() - 2);
    w.push_back(word);
  }
  return w;
}

// A linux node of the vfw image: its configuration and interfaces from its cmd (vfw-node's
// arguments, `vfw run`'s), the file found through its binds (HOST:CONTAINER[:ro]).
// A linux node of the vfw image, as scripts/vfw-node runs it: its configuration is its cmd's
// `--config`, else $VFW_STARTUP_CONFIG from its env, else /config/startup.cfg, found through its
// binds (HOST:CONTAINER[:ro]); its interfaces are its cmd's `--bind`s, else ethN.
void vfw_container(Reader& read, const Inheritance& inherit, const YAML::Node& key,
                   const YAML::Node& body, const std::string& kind, const std::string& field,
                   NodeSpec& n) {
  std::string config;
  YAML::Node said = key;  // where an error points: the cmd when there is one
  bool from_cmd = false;
  if (const YAML::Node cmd = inherit.field(body, kind, "cmd")) {
    const auto text = read.text(cmd, field + ".cmd");
    if (!text) return;
    said = cmd;
    from_cmd = true;
    const std::vector<std::string> w = words_of(*text);
    for (size_t i = 0; i < w.size(); ++i) {
      auto value = [&](const std::string& option) -> std::optional<std::string> {
        if (w[i] == option && i + 1 < w.size()) return w[++i];
        if (w[i].rfind(option + "=", 0) == 0) return w[i].substr(option.size() + 1);
        return std::nullopt;
      };
      if (auto c = value("--config")) {
        config = *c;
      } else if (auto b = value("--bind")) {
        const size_t eq = b->find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == b->size()) {
          read.error(cmd, field + ".cmd",
                     "--bind " + *b + " is not DEVICE-INTERFACE=LINUX-INTERFACE");
          continue;
        }
        n.interface_names[b->substr(eq + 1)] = b->substr(0, eq);
      }
    }
  }
  if (!n.startup_config.empty()) return;
  if (config.empty()) {
    config = "/config/startup.cfg";
    const YAML::Node env = inherit.field(body, kind, "env");
    if (env && env.IsMap() && env["VFW_STARTUP_CONFIG"] && env["VFW_STARTUP_CONFIG"].IsScalar())
      config = env["VFW_STARTUP_CONFIG"].Scalar();
  }
  const YAML::Node binds = inherit.field(body, kind, "binds");
  for (size_t i = 0; binds && binds.IsSequence() && i < binds.size(); ++i) {
    if (!binds[i].IsScalar()) continue;
    const std::string bind = binds[i].Scalar();
    const size_t colon = bind.find(':');
    if (colon == std::string::npos) continue;
    const std::string host = bind.substr(0, colon);
    std::string inside = bind.substr(colon + 1);
    inside = inside.substr(0, inside.find(':'));  // :ro, :rw
    if (inside == config) {
      n.startup_config = host;
    } else if (config.rfind(inside + "/", 0) == 0) {
      n.startup_config = host + config.substr(inside.size());
    }
    if (!n.startup_config.empty()) return;
  }
  read.error(said, field + (from_cmd ? ".cmd" : ".binds"),
             "the configuration " + config +
                 " is inside the container: no bind of this node maps it to a file (binds: "
                 "[\"FILE:" +
                 config + "\"])");
}

bool read_node(Reader& read, const Inheritance& inherit, const YAML::Node& key,
               const YAML::Node& body, const std::string& field, NodeSpec& n) {
  const YAML::Node kind_node = inherit.field(body, "", "kind");
  if (!kind_node) {
    read.error(key, field + ".kind",
               "missing (vfw, huawei_vrp, linux or host; or topology.defaults.kind)");
    return false;
  }
  const auto kind = read.text(kind_node, field + ".kind");
  if (!kind) return false;
  std::string image;
  if (const YAML::Node i = inherit.field(body, *kind, "image"); i && i.IsScalar())
    image = i.Scalar();
  if (*kind == "vfw" || *kind == "huawei_vrp" || ((*kind == "linux") && runs_vfw(image))) {
    n.kind = NodeKind::Firewall;
  } else if (*kind == "linux" || *kind == "host") {
    n.kind = NodeKind::Host;
  } else if (*kind == "bridge" || *kind == "ovs-bridge") {
    read.error(kind_node, field + ".kind",
               "a " + *kind + " is not emulated: the lab's links join two nodes each");
    return false;
  } else {
    read.error(kind_node, field + ".kind",
               "\"" + *kind +
                   "\" is not a kind of this lab (vfw or huawei_vrp for a firewall, "
                   "linux or host for an end system; a linux node of the vfw image is a firewall)");
    return false;
  }
  if (n.kind == NodeKind::Firewall) {
    if (const YAML::Node cfg = inherit.field(body, *kind, "startup-config")) {
      if (auto t = read.text(cfg, field + ".startup-config")) n.startup_config = *t;
    }
    if (*kind == "linux") {
      vfw_container(read, inherit, key, body, *kind, field, n);
    } else if (n.startup_config.empty()) {
      read.error(key, field + ".startup-config",
                 "a firewall needs its configuration: startup-config, or (a linux node of the vfw "
                 "image) the file in its binds");
    }
    return !n.startup_config.empty();
  }
  // A host: its exec lines, then its labels for what they did not say.
  bool have_address = false;
  if (const YAML::Node exec = inherit.field(body, *kind, "exec")) {
    if (!exec.IsSequence()) {
      read.error(exec, field + ".exec", "a list of commands");
      return false;
    }
    std::vector<std::string> lines;
    for (size_t i = 0; i < exec.size(); ++i)
      lines.push_back(exec[i].IsScalar() ? exec[i].Scalar() : std::string());
    std::vector<ExecNote> notes;
    const HostExec h = read_host_exec(lines, notes);
    for (const auto& note : notes) {
      const std::string at = field + ".exec[" + std::to_string(note.line) + "]";
      const std::string said = "`" + lines[note.line] + "`: " + note.message;
      if (note.error)
        read.error(exec[note.line], at, said);
      else
        read.note(exec[note.line], at, said);
    }
    if (h.address) {
      have_address = true;
      n.address = *h.address;
      n.prefix_length = h.prefix_length;
    }
    if (h.gateway) n.gateway = h.gateway;
    if (h.mtu) n.mtu = *h.mtu;
  }
  const YAML::Node labels = inherit.field(body, *kind, "labels");
  if (!labels && !have_address) {
    read.error(key, field,
               "a host needs its address: an exec line `ip addr add 10.1.1.2/24 dev eth1`, or "
               "labels: vfw.address");
    return false;
  }
  if (labels) read.host(labels, field + ".labels", have_address, n);
  return true;
}

}  // namespace

std::string device_interface(const NodeSpec& node, const std::string& written) {
  if (const auto it = node.interface_names.find(written); it != node.interface_names.end())
    return it->second;
  if (node.kind == NodeKind::Firewall && written.size() > 3 && written.compare(0, 3, "eth") == 0) {
    if (const auto n = parse_uint(std::string_view(written).substr(3), 1023))
      return "GigabitEthernet0/0/" + std::to_string(*n);
  }
  return written;
}

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
  Reader read(file, r);
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
  Inheritance inherit{topo["defaults"], topo["kinds"]};
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
    if (read_node(read, inherit, entry.first, body, field, n))
      r.topology.nodes.push_back(std::move(n));
  }
  const YAML::Node links = topo["links"];
  if (links && !links.IsSequence()) read.error(links, "topology.links", "a list of links");
  std::set<std::string> used;
  for (size_t i = 0; links && links.IsSequence() && i < links.size(); ++i) {
    const YAML::Node l = links[i];
    const std::string field = "topology.links[" + std::to_string(i) + "]";
    if (const YAML::Node type = l["type"]) {
      if (auto t = read.text(type, field + ".type"); t && *t != "veth") {
        read.error(type, field + ".type",
                   "\"" + *t + "\" links are not emulated: the lab's links join two nodes (veth)");
        continue;
      }
    }
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
      } else if (!used.insert(e->node + ":" +
                              device_interface(*r.topology.node(e->node), e->interface))
                      .second) {
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
  if (::stat(path.c_str(), &st) != 0)
    return refuse(std::string("cannot be read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return refuse("is not a regular file");
  if (st.st_size > kMaxBytes) return refuse("is larger than 16 MiB; a lab file is not");
  std::ifstream in(path, std::ios::binary);
  if (!in) return refuse(std::string("cannot be read: ") + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  const size_t slash = path.rfind('/');
  return parse_topology(s.str(), path, slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace vfw::lab
