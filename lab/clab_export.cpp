// `lab export DIR --format clab`: the lab as a topology containerlab deploys (lab/lab.hpp).
#include <map>
#include <set>

#include "config/render.hpp"
#include "config/secret.hpp"
#include "lab/lab.hpp"

namespace vfw::lab {
namespace {

// "GigabitEthernet0/0/N" -> N (N >= 1): the port containerlab calls ethN.
std::optional<uint32_t> port_number(const std::string& interface) {
  constexpr std::string_view prefix = "GigabitEthernet0/0/";
  if (interface.rfind(prefix, 0) != 0) return std::nullopt;
  const auto n = parse_uint(std::string_view(interface).substr(prefix.size()), 1023);
  if (!n || *n == 0) return std::nullopt;
  return n;
}

// Each secret in this machine's cipher form opened again: the containers' vfw seals with a
// device key of its own, and could not open this one's (config/secret.hpp). A lab's secrets are
// for learning (lab keys prints its keys): the exported files carry them as the examples do.
std::string with_clear_secrets(std::string text) {
  const std::string mark(config::kSealMark);
  for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at)) {
    const size_t end = text.find(mark, at + mark.size());
    if (end == std::string::npos) break;
    const size_t length = end + mark.size() - at;
    if (const auto clear = config::open_secret(std::string_view(text).substr(at, length))) {
      text.replace(at, length, *clear);
      at += clear->size();
    } else {
      at += length;
    }
  }
  return text;
}

std::string in_quotes(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

Lab::ContainerlabExport Lab::containerlab_export() const {
  ContainerlabExport out;
  // Each firewall's interfaces as containerlab names them: GigabitEthernet0/0/N is ethN; any other
  // gets the next free ethN and a --bind in the node's cmd.
  std::map<size_t, std::map<std::string, std::string>> eth;  // node -> device name -> ethN
  std::map<size_t, bool> needs_cmd;
  for (const auto& l : links_) {
    for (const Port* p : {&l.a, &l.b}) {
      if (nodes_[p->node].device == nullptr) continue;
      if (const auto n = port_number(p->interface))
        eth[p->node][p->interface] = "eth" + std::to_string(*n);
    }
  }
  for (const auto& l : links_) {
    for (const Port* p : {&l.a, &l.b}) {
      if (nodes_[p->node].device == nullptr || eth[p->node].count(p->interface) != 0) continue;
      std::set<std::string> used;
      for (const auto& [dev, linux] : eth[p->node]) used.insert(linux);
      uint32_t n = 1;
      while (used.count("eth" + std::to_string(n)) != 0) ++n;
      eth[p->node][p->interface] = "eth" + std::to_string(n);
      needs_cmd[p->node] = true;
    }
  }
  auto endpoint = [&](const Port& p) {
    const Node& n = nodes_[p.node];
    return n.name + ":" + (n.device != nullptr ? eth[p.node][p.interface] : std::string("eth1"));
  };

  std::string y = "# The lab \"" + name_ + "\"" +
                  " as containerlab deploys it (vfw lab export ... --format clab): each firewall\n"
                  "# a container of the vfw image (docs/container.md) on its running "
                  "configuration, each host an\n# Alpine container configured by its exec "
                  "lines. `vfw lab` runs this file in memory too. The configurations carry\n"
                  "# their secrets in clear: another vfw cannot open this one's cipher form.\n"
                  "#   docker build -t vfw .   (the repository's Dockerfile)\n"
                  "#   containerlab deploy -t " +
                  (name_.empty() ? std::string("lab") : name_) + ".clab.yml\n";
  y += "name: " + (name_.empty() ? std::string("lab") : name_) + "\n";
  y += "topology:\n  defaults:\n    kind: linux\n  nodes:\n";
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    y += "    " + n.name + ":\n";
    if (n.device != nullptr) {
      const std::string file = n.name + ".cfg";
      out.files[file] =
          with_clear_secrets(config::render_current_configuration(n.device->config()));
      y += "      image: vfw:latest\n      binds:\n        - " + file + ":/config/startup.cfg:ro\n";
      if (needs_cmd[i]) {
        y += "      cmd: --config /config/startup.cfg";
        for (const auto& [dev, linux] : eth[i]) y += " --bind " + dev + "=" + linux;
        y += "\n";
      }
      continue;
    }
    const Host& h = *n.host;
    y += "      image: alpine:3\n      exec:\n";
    y += "        - ip addr add " + to_string(h.address()) + "/" +
         std::to_string(h.prefix_length()) + " dev eth1\n";
    if (h.gateway())
      y += "        - ip route replace default via " + to_string(*h.gateway()) + "\n";
    if (h.mtu() != 1500) y += "        - ip link set eth1 mtu " + std::to_string(h.mtu()) + "\n";
  }
  y += "  links:\n";
  for (const auto& l : links_) {
    y += "    - endpoints: [" + in_quotes(endpoint(l.a)) + ", " + in_quotes(endpoint(l.b)) + "]\n";
    if (l.spec.mtu != 0) y += "      mtu: " + std::to_string(l.spec.mtu) + "\n";
    std::string labels;
    if (l.spec.delay_ms != LinkSpec::kDefaultDelayMs)
      labels += "vfw.delay-ms: " + std::to_string(l.spec.delay_ms) + ", ";
    if (l.spec.loss > 0) {
      char loss[32];
      std::snprintf(loss, sizeof loss, "%g", l.spec.loss);
      labels += std::string("vfw.loss: ") + loss + ", ";
    }
    if (!l.spec.drop.empty()) {
      std::string drop;
      for (const auto& d : l.spec.drop) drop += (drop.empty() ? "" : ", ") + d;
      labels += "vfw.drop: " + in_quotes(drop) + ", ";
    }
    if (!labels.empty()) y += "      labels: {" + labels.substr(0, labels.size() - 2) + "}\n";
  }
  out.topology = std::move(y);
  return out;
}

}  // namespace vfw::lab
