#include "app/lab_console.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

#include "app/cli_session.hpp"
#include "app/lab_faults.hpp"
#include "cli/atomic_file.hpp"
#include "cli/command_engine.hpp"
#include "cli/command_tree.hpp"
#include "cli/line_runner.hpp"
#include "config/words.hpp"
#include "diagnose/diagnosis.hpp"
#include "diagnose/trace_evidence.hpp"
#include "ipsec/spd.hpp"
#include "verify/fix_proof.hpp"

namespace vfw {
namespace {

// What `?` lists after "lab".
constexpr const char* kLabCommands[] = {
    "lab list",
    "lab attach NAME",
    "lab ping HOST DEST [count N] [size N] [df]",
    "lab send HOST tcp|udp DEST PORT",
    "lab trace HOST DEST [protocol icmp|tcp|udp] [port N] [detail] [json]",
    "lab diagnose HOST DEST [protocol icmp|tcp|udp] [port N]",
    "lab fix N",
    "lab capture NODE:INTERFACE FILE|stop",
    "lab keys [FILE|DIR]",
    "lab clock advance SECONDS",
    "lab link down|up NODE:INTERFACE",
    "lab fault list|inject NAME|random [seed N]|reveal|clear",
    "lab export DIR [--format clab]",
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Writes text to path through a temporary file renamed over it: a reader sees the old file or
// the new one, never half of one.
// Whole or not at all (cli/atomic_file.hpp), with the system's reason when it fails.
bool write_file(const std::string& path, const std::string& text, std::string& error) {
  if (const Status written = cli::write_file_atomically(path, text); !written) {
    error = "cannot write " + path + ": " + written.error().message;
    return false;
  }
  return true;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// How far the lab's clock moves between two steps of a command that goes on over time.
constexpr uint64_t kActivityStepMs = 10;

class Console {
 public:
  Console(lab::Lab& lab, const LabConsoleOptions& options) : lab_(&lab), options_(options) {
    attached_ = options.attach;
    if (attached_.empty()) {
      for (const auto& n : lab.node_names()) {
        if (lab.device(n) != nullptr) {
          attached_ = n;
          break;
        }
      }
    }
  }

  // One line: a lab command, or the attached firewall's CLI; then what the attached firewall's
  // debugging printed meanwhile, as its terminal would show it (the others' is let go).
  LineOutput run(const std::string& line, size_t caret_offset = 0) {
    if (options_.wall_clock) {
      const auto now = std::chrono::steady_clock::now();
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_).count();
      last_ = now;
      if (ms > 0) lab_->advance(static_cast<uint64_t>(ms));
    }
    LineOutput r = one(line, caret_offset);
    for (const auto& name : lab_->node_names()) {
      Device* d = lab_->device(name);
      if (d == nullptr) continue;
      auto debug = d->ike().take_debug();
      for (const auto& l : d->ike().take_log()) d->log(l);
      if (name != attached_) continue;
      for (const auto& l : debug) r.out += l + "\n";
    }
    return r;
  }

  LineOutput one(const std::string& line, size_t caret_offset) {
    const auto w = words(line);
    LineRunner* r = runner();
    // A line typed while the attached firewall waits for an answer (save) is the answer.
    if (r != nullptr && r->pending_question() != nullptr) return r->run(line, caret_offset);
    if (!w.empty() && w[0] == "lab") return lab_command(w);
    if (r == nullptr) return {false, "", "Error: No firewall is attached (lab attach NAME).\n"};
    LineOutput out = r->run(line, caret_offset);
    // A command that goes on over time (the firewall's own ping) runs to its end on the lab's
    // clock, its probes and their answers carried on the links as it goes.
    while (r->running()) {
      lab_->carry_device_traffic();
      lab_->advance(kActivityStepMs);
      out.out += r->step().out;
    }
    return out;
  }

  const std::string& attached() const { return attached_; }
  // The attached firewall waits for the answer to a question (save).
  bool asking() {
    LineRunner* r = runner();
    return r != nullptr && r->pending_question() != nullptr;
  }

  // `?`: the lab's commands after "lab", the attached firewall's help otherwise (with the lab's
  // own keyword among the first words).
  std::string help(const std::string& typed) {
    const auto w = words(typed);
    if (!w.empty() && w[0] == "lab") {
      std::string o;
      for (const char* c : kLabCommands) {
        const std::string command(c);
        if (command.rfind(typed.substr(typed.find("lab")), 0) == 0 || w.size() == 1)
          o += "  " + command + "\n";
      }
      return o;
    }
    LineRunner* r = runner();
    std::string o = r != nullptr ? r->help_text(typed) : "";
    if (w.empty() ||
        (w.size() == 1 && typed.back() != ' ' && std::string("lab").rfind(w[0], 0) == 0))
      o += "  lab                     The lab: list, attach, ping, send, trace, capture, keys, "
           "clock, link, fault, export\n";
    return o;
  }

  // The attached firewall's CLI session (its view, its prompt), made on first use.
  LineRunner* runner() {
    Device* d = lab_->device(attached_);
    if (d == nullptr) return nullptr;
    auto& r = runners_[attached_];
    if (!r) {
      r = std::make_unique<LineRunner>(*d);
    }
    return r.get();
  }
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  // The fixes the last lab diagnose printed, by number.
  struct LabFix {
    std::string node;
    std::vector<std::string> lines;
  };
  std::vector<LabFix> fixes_;

 private:
  static LineOutput fail(const std::string& message) {
    return {false, "", "Error: " + message + "\n"};
  }

  // A file or folder as typed at the console: ~/ is the user's home, as a shell would read it
  // (the console is not a shell, but the engineer typing into it expects one).
  static std::string path_of(const std::string& typed) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && (typed == "~" || typed.rfind("~/", 0) == 0))
      return std::string(home) + typed.substr(1);
    return typed;
  }

  LineOutput lab_command(std::vector<std::string> w) {
    // The words that name files: lab export DIR, lab capture NODE:IF FILE, lab keys FILE|DIR.
    if (w.size() >= 3 && (w[1] == "export" || w[1] == "keys")) w[2] = path_of(w[2]);
    if (w.size() >= 4 && w[1] == "capture") w[3] = path_of(w[3]);
    const std::string what = w.size() > 1 ? w[1] : "";
    if (what == "list" && w.size() == 2) return {true, lab_->describe(attached_), ""};
    if (what == "attach" && w.size() == 3) {
      if (lab_->device(w[2]) == nullptr) return fail("No firewall named " + w[2] + " in the lab.");
      for (const auto& n : lab_->node_names()) {
        if (lab_->device(n) == lab_->device(w[2])) attached_ = n;
      }
      return {true, "", ""};
    }
    if (what == "ping" && w.size() >= 4) return ping(w);
    if (what == "trace" && w.size() >= 4) return trace(w);
    if (what == "diagnose" && w.size() >= 4) return diagnose(w);
    if (what == "fix" && w.size() == 3) return fix(w[2]);
    if (what == "clock" && w.size() == 4 && w[2] == "advance") {
      const auto seconds = parse_uint(w[3], 86400 * 365);
      if (!seconds) return fail("lab clock advance takes seconds, from 0 to 31536000.");
      lab_->advance(uint64_t{*seconds} * 1000);
      return {true, "", ""};
    }
    if (what == "link" && w.size() == 4 && (w[2] == "down" || w[2] == "up")) {
      if (!lab_->set_link(w[3], w[2] == "up")) return fail("No link at " + w[3] + ".");
      return {true, "", ""};
    }
    if (what == "export" && w.size() == 3) return export_to(w[2]);
    if (what == "export" && w.size() == 5 && w[3] == "--format") {
      if (w[4] != "clab")
        return fail("lab export DIR --format clab: \"" + w[4] + "\" is not a format.");
      return export_clab(w[2]);
    }
    if (what == "capture" && (w.size() == 4)) {
      const std::string file = w[3] == "stop" ? "" : w[3];
      if (const Status started = lab_->capture(w[2], file); !started)
        return fail(started.error().message);
      return {true, file.empty() ? "" : "Capturing " + w[2] + "'s link into " + file + ".\n", ""};
    }
    if (what == "keys" && w.size() <= 3) {
      std::string text;
      for (const auto& line : lab_->esp_keys()) text += line + "\n";
      if (w.size() == 2) return {true, text, ""};
      std::string error;
      // A folder (a Wireshark profile's, say): the three tables Wireshark reads from it.
      if (std::error_code ec; std::filesystem::is_directory(w[2], ec)) {
        error = write_wireshark_tables(w[2], lab_->keys());
        if (!error.empty()) return fail(error);
        return {true,
                "Wrote esp_sa, ikev2_decryption_table and ikev1_decryption_table in " + w[2] +
                    " (a Wireshark profile's folder: Wireshark reads them from there).\n",
                ""};
      }
      if (!write_file(w[2], text, error)) return fail(error);
      return {true, "Wrote " + w[2] + " (Wireshark's esp_sa lines).\n", ""};
    }
    if (what == "send" && w.size() == 6 && (w[3] == "tcp" || w[3] == "udp")) return send(w);
    if (what == "fault" && w.size() >= 3) return fault(w);
    return fail(
        "Unrecognized lab command. Lab commands: lab list, lab attach NAME, lab ping HOST DEST "
        "[count N] [size N] [df], lab trace HOST DEST [protocol P] [port N] [detail] [json], lab "
        "diagnose "
        "HOST "
        "DEST [protocol P] [port N], lab fix N, lab clock "
        "advance SECONDS, lab link down|up NODE:INTERFACE, lab send HOST tcp|udp DEST PORT, lab "
        "capture NODE:INTERFACE FILE|stop, lab keys [FILE|DIR], lab fault "
        "list|inject|reveal|clear, "
        "lab "
        "export DIR [--format clab].");
  }

  LineOutput ping(const std::vector<std::string>& w) {
    const auto dest = parse_ipv4(w[3]);
    if (!dest) return fail("\"" + w[3] + "\" is not an IPv4 address.");
    if (lab_->host(w[2]) == nullptr) return fail("No host named " + w[2] + " in the lab.");
    int count = 5;
    uint32_t size = 84;
    bool df = false;
    for (size_t i = 4; i < w.size(); ++i) {
      if (w[i] == "df") {
        df = true;
      } else if ((w[i] == "count" || w[i] == "size") && i + 1 < w.size()) {
        const auto n = parse_uint(w[i + 1], w[i] == "count" ? 1000 : 65535);
        if (!n || (w[i] == "count" && *n == 0) || (w[i] == "size" && *n < 28))
          return fail(w[i] == "count" ? "count is a number from 1 to 1000."
                                      : "size is the IP packet's length, from 28 to 65535.");
        if (w[i] == "count") {
          count = static_cast<int>(*n);
        } else {
          size = *n;
        }
        ++i;
      } else {
        return fail("lab ping HOST DEST [count N] [size N] [df]: \"" + w[i] +
                    "\" is not one of them.");
      }
    }
    const auto r = lab_->ping(w[2], *dest, count, size, df);
    return {r.received > 0, r.text, ""};
  }

  // lab fault list | inject NAME|random | reveal | clear
  LineOutput fault(const std::vector<std::string>& w) {
    const auto& faults = seed_faults();
    if (w[2] == "list" && w.size() == 3) {
      std::string o =
          "Faults of the seed's lab (lab fault inject NAME, or random; lab fault reveal "
          "says what it was):\n";
      for (const auto& f : faults) o += "  " + f.name + "  " + f.hint + "\n";
      return {true, o, ""};
    }
    const bool seeded = w.size() == 6 && w[3] == "random" && w[4] == "seed";
    if (w[2] == "inject" && (w.size() == 4 || seeded)) {
      if (injected_ != nullptr) return fail("A fault is injected already: lab fault clear first.");
      const LabFault* f = nullptr;
      std::string said = "Fault injected. Find it; `lab fault reveal` tells.\n";
      if (w[3] == "random") {
        // A different fault each run unless a seed is given; the seed is printed, so that the
        // same fault can be had again (a class, a bug report).
        uint64_t seed = std::random_device{}();
        if (seeded) {
          const auto n = parse_uint(w[5], UINT32_MAX);
          if (!n)
            return fail("lab fault inject random seed N: N is a number from 0 to 4294967295.");
          seed = *n;
        }
        f = &faults[static_cast<size_t>(std::mt19937_64{seed}() % faults.size())];
        said = "Fault injected (random, seed " + std::to_string(seed) +
               ": `lab fault inject random seed " + std::to_string(seed) +
               "` injects the same one). Find it; `lab fault reveal` tells.\n";
      } else {
        for (const auto& x : faults) {
          if (x.name == w[3]) f = &x;
        }
      }
      if (f == nullptr) return fail("No fault named " + w[3] + " (lab fault list).");
      if (const Status injected = inject(*lab_, *f); !injected)
        return fail(injected.error().message);
      injected_ = f;
      return {true, said, ""};
    }
    if (w[2] == "reveal" && w.size() == 3) {
      if (injected_ == nullptr) return fail("No fault is injected.");
      std::string o = injected_->name + ": " + injected_->cause + "\n";
      for (const auto& step : injected_->steps) {
        o += "  on " + step.node + ":\n";
        for (const auto& line : step.lines) o += "    " + line + "\n";
      }
      if (!injected_->link.empty())
        o += "  on the link at " + injected_->link + ": " + injected_->link_change + "\n";
      return {true, o, ""};
    }
    if (w[2] == "clear" && w.size() == 3) {
      if (!options_.remake) return fail("This lab cannot be made again.");
      remade_ = options_.remake();
      if (remade_ == nullptr) return fail("The lab could not be made again.");
      lab_ = remade_.get();
      runners_.clear();
      injected_ = nullptr;
      return {true, "The lab is as it started.\n", ""};
    }
    return fail("lab fault list | inject NAME|random [seed N] | reveal | clear");
  }

  // lab send HOST tcp|udp DEST PORT: one packet (a SYN for TCP), and where it ended.
  LineOutput send(const std::vector<std::string>& w) {
    const lab::Host* h = lab_->host(w[2]);
    if (h == nullptr) return fail("No host named " + w[2] + " in the lab.");
    const auto dest = parse_ipv4(w[4]);
    const auto port = parse_uint(w[5], 65535);
    if (!dest) return fail("\"" + w[4] + "\" is not an IPv4 address.");
    if (!port || *port == 0) return fail("the port is a number from 1 to 65535.");
    PacketSpec p;
    p.protocol = w[3] == "tcp" ? ipproto::kTcp : ipproto::kUdp;
    p.src = h->address();
    p.dst = *dest;
    p.src_port = 49152;
    p.dst_port = static_cast<uint16_t>(*port);
    const auto r = lab_->trace(w[2], p);
    std::string o;
    bool delivered = false;
    for (const auto& leg : r.legs) {
      if (leg.kind == lab::Lab::LegKind::Reply) continue;
      o += w[3] + " " + to_string(p.src) + ":49152 -> " + w[4] + ":" + w[5] + " (" +
           std::string(lab::Lab::leg_id(leg.kind)) + "): " + leg.disposition + "\n";
      delivered = delivered || leg.delivered;
      if (leg.kind == lab::Lab::LegKind::Packet && !r.negotiation.empty())
        o += "  " + r.negotiation + "\n";
    }
    return {delivered, o, ""};
  }

  // lab trace HOST DEST [protocol icmp|tcp|udp] [port N] [detail] [json]: a line per hop, or every
  // stage with detail
  LineOutput trace(const std::vector<std::string>& w) {
    const lab::Host* h = lab_->host(w[2]);
    if (h == nullptr) return fail("No host named " + w[2] + " in the lab.");
    const auto dest = parse_ipv4(w[3]);
    if (!dest) return fail("\"" + w[3] + "\" is not an IPv4 address.");
    PacketSpec p;
    p.src = h->address();
    p.dst = *dest;
    p.src_port = 1;
    bool json = false;
    bool detail = false;
    int port = -1;
    for (size_t i = 4; i < w.size(); ++i) {
      if (w[i] == "json" || w[i] == "--json") {
        json = true;
      } else if (w[i] == "detail") {
        detail = true;
      } else if (w[i] == "protocol" && i + 1 < w.size() &&
                 (w[i + 1] == "icmp" || w[i + 1] == "tcp" || w[i + 1] == "udp")) {
        p.protocol = w[i + 1] == "icmp"  ? ipproto::kIcmp
                     : w[i + 1] == "tcp" ? ipproto::kTcp
                                         : ipproto::kUdp;
        ++i;
      } else if (w[i] == "port" && i + 1 < w.size()) {
        const auto n = parse_uint(w[i + 1], 65535);
        if (!n || *n == 0) return fail("port is a number from 1 to 65535.");
        port = static_cast<int>(*n);
        ++i;
      } else {
        return fail("lab trace HOST DEST [protocol icmp|tcp|udp] [port N] [detail] [json]: \"" +
                    w[i] + "\" is not one of them.");
      }
    }
    if (p.protocol != ipproto::kIcmp) {
      if (port < 0) return fail("tcp and udp need a port.");
      p.src_port = 49152;
      p.dst_port = static_cast<uint16_t>(port);
    }
    const auto r = lab_->trace(w[2], p);
    // A trace that traced succeeds, whatever became of the packet (as vfw packet-trace): the
    // disposition says where it ended. lab ping and lab send, probes, fail when nothing arrived.
    return {true,
            json     ? lab::Lab::format_trace_json(r)
            : detail ? lab::Lab::format_trace_text(r)
                     : lab::Lab::format_trace_summary(r),
            ""};
  }

  // The firewall whose interface holds address, by node name; "" when none.
  std::string firewall_holding(Ipv4 address) const {
    for (const auto& n : lab_->node_names()) {
      const Device* d = lab_->device(n);
      if (d == nullptr) continue;
      for (const auto& [name, i] : d->config().interfaces) {
        if (i.address && i.address->host == address) return n;
      }
    }
    return "";
  }

  // The firewall at the other end of the tunnel that protects the flow: the ike peer of the
  // ipsec policy entry whose ACL covers it, on whichever interface it is applied; "" when no entry
  // covers it (or its peer is not in the lab).
  std::string far_firewall(const Device& near, const diagnose::DiagnoseOptions& o) const {
    const auto spec = diagnose::flow_spec(o);
    if (!spec) return "";
    const ipsec::Flow flow{spec->protocol, spec->src, spec->dst, spec->src_port, spec->dst_port};
    for (const auto& i : near.snapshot().interfaces) {
      const ipsec::SpdMatch m = ipsec::spd_lookup(i.spd, flow);
      if (m.entry == nullptr) continue;
      for (const auto& p : near.config().ipsec_policies) {
        if (p.name != m.entry->policy || p.seq != m.entry->seq) continue;
        const config::IkePeer* peer = near.config().find_ike_peer(p.ike_peer);
        if (peer != nullptr && peer->remote_address) return firewall_holding(*peer->remote_address);
      }
    }
    return "";
  }

  // lab diagnose HOST DEST [protocol P] [port N]: vfw diagnose on the lab's live configurations:
  // the host's gateway, and the firewall at the other end of the tunnel that protects the flow
  // (far_firewall) as the peer. Its fixes are proven as vfw diagnose proves them and numbered
  // for lab fix.
  LineOutput diagnose(const std::vector<std::string>& w) {
    const lab::Host* h = lab_->host(w[2]);
    if (h == nullptr) return fail("No host named " + w[2] + " in the lab.");
    if (!h->gateway()) return fail(w[2] + " has no gateway.");
    const std::string near = firewall_holding(*h->gateway());
    if (near.empty()) return fail("No firewall of the lab holds " + to_string(*h->gateway()) + ".");
    diagnose::DiagnoseOptions o;
    o.from = to_string(h->address());
    o.to = w[3];
    for (size_t i = 4; i + 1 < w.size(); i += 2) {
      if (w[i] == "protocol") {
        o.protocol = w[i + 1];
      } else if (w[i] == "port") {
        const auto n = parse_uint(w[i + 1], 65535);
        if (!n) return fail("port is a number from 1 to 65535.");
        o.port = static_cast<int>(*n);
      } else {
        return fail("lab diagnose HOST DEST [protocol icmp|tcp|udp] [port N]: \"" + w[i] +
                    "\" is not one of them.");
      }
    }
    if (w.size() % 2 != 0) return fail("lab diagnose HOST DEST [protocol icmp|tcp|udp] [port N]");
    const Device& local = *lab_->device(near);
    const std::string far = far_firewall(local, o);
    const Device* peer = far.empty() ? nullptr : lab_->device(far);
    // The lab knows the routers beside each firewall: a route fix may name them as next hops.
    o.neighbours[local.config().sysname] = lab_->neighbours(near);
    if (peer != nullptr) o.neighbours[peer->config().sysname] = lab_->neighbours(far);
    const auto d = verify::diagnose_proven(local.config(), peer ? &peer->config() : nullptr, o);
    if (!d) return fail(d.error().message);
    fixes_.clear();
    std::string text = diagnose::format_diagnosis_text(*d);
    for (const auto& f : d->findings) {
      if (f.fix.empty()) continue;
      // The finding names the device by its sysname; the lab by its node.
      std::string node = near;
      if (peer != nullptr && f.device == peer->config().sysname) node = far;
      fixes_.push_back({node, f.fix});
    }
    if (!fixes_.empty()) {
      text += "\nThe proven fixes (lab fix N types one into the firewall it names):\n";
      for (size_t i = 0; i < fixes_.size(); ++i) {
        std::string words;
        for (const auto& line : fixes_[i].lines) {
          const auto at = line.find_first_not_of(' ');
          if (at == std::string::npos || line == "system-view" || line == "return") continue;
          words += (words.empty() ? "" : "; ") + line.substr(at);
        }
        text += "  " + std::to_string(i + 1) + ". on " + fixes_[i].node + ": " + words + "\n";
      }
    }
    return {!d->failed(), text, ""};
  }

  // lab fix N: the fix numbered N by the last lab diagnose, typed into its firewall line by
  // line, as a person would at its console (the lines and the device's answers shown).
  LineOutput fix(const std::string& number) {
    const auto n = parse_uint(number, 1000);
    if (!n || *n == 0 || *n > fixes_.size())
      return fail(fixes_.empty()
                      ? "No fix to type: run lab diagnose first."
                      : "lab fix takes a number from 1 to " + std::to_string(fixes_.size()) + ".");
    const LabFix& f = fixes_[*n - 1];
    Device* d = lab_->device(f.node);
    if (d == nullptr) return fail("No firewall named " + f.node + " in the lab.");
    LineRunner typing(*d);
    std::string out;
    for (const auto& line : f.lines) {
      out += typing.ctx.prompt() + line + "\n";
      LineOutput r = typing.run(line, typing.ctx.prompt().size());
      out += r.out + r.err;
      if (r.ok && !r.question.empty()) {  // reset ike sa, save: answered yes, as the fix means
        out += r.question + "y\n";
        r = typing.answer(true);
        out += r.out + r.err;
      }
      if (!r.ok) return {false, out, ""};
    }
    return {true, out, ""};
  }

  LineOutput export_to(const std::string& dir) {
    if (options_.topology_text.empty())
      return fail("This lab was started from its own files: they are already on disk.");
    ::mkdir(dir.c_str(), 0755);
    std::string topology = options_.topology_text;
    std::string error;
    std::string listed;
    for (const auto& [name, text] : options_.files) {
      // The files go beside the topology, which names them so.
      const std::string local = base_name(name);
      for (size_t at = topology.find(name); at != std::string::npos;
           at = topology.find(name, at + local.size()))
        topology.replace(at, name.size(), local);
      if (!write_file(dir + "/" + local, text, error)) return fail(error);
      listed += "  " + dir + "/" + local + "\n";
    }
    const std::string file =
        dir + "/" + (lab_->name().empty() ? "lab" : lab_->name()) + ".clab.yml";
    if (!write_file(file, topology, error)) return fail(error);
    return {true, "Wrote " + file + (listed.empty() ? "\n" : " and\n" + listed), ""};
  }

  // The lab as containerlab deploys it: the running configurations, the topology beside them.
  LineOutput export_clab(const std::string& dir) {
    ::mkdir(dir.c_str(), 0755);
    const lab::Lab::ContainerlabExport e = lab_->containerlab_export();
    std::string error;
    std::string listed;
    for (const auto& [name, text] : e.files) {
      if (!write_file(dir + "/" + name, text, error)) return fail(error);
      listed += "  " + dir + "/" + name + "\n";
    }
    const std::string file =
        dir + "/" + (lab_->name().empty() ? "lab" : lab_->name()) + ".clab.yml";
    if (!write_file(file, e.topology, error)) return fail(error);
    return {true,
            "Wrote " + file + " (containerlab deploy -t " + file + ", or vfw lab " + file +
                ") and the running configurations\n" + listed,
            ""};
  }

  lab::Lab* lab_;
  std::unique_ptr<lab::Lab> remade_;  // the lab made again by `lab fault clear`
  const LabConsoleOptions& options_;
  const LabFault* injected_ = nullptr;
  std::string attached_;
  std::map<std::string, std::unique_ptr<LineRunner>> runners_;
};

}  // namespace

int run_lab_terminal(lab::Lab& lab, const LabConsoleOptions& options) {
  Console console(lab, options);
  if (console.runner() == nullptr) {
    std::fputs("vfw lab: the lab has no firewall to attach the console to\n", stderr);
    return 1;
  }
  std::printf("Lab %s: the console is on %s (lab list, lab ping HOST DEST, lab attach NAME).\n",
              lab.name().c_str(), console.attached().c_str());
  TerminalHooks hooks;
  hooks.runner = [&]() -> LineRunner& { return *console.runner(); };
  hooks.run = [&](const std::string& line, size_t caret) { return console.run(line, caret); };
  hooks.help = [&](const std::string& typed) { return console.help(typed); };
  hooks.complete = [&](const std::string& typed) {
    // A lab command completes from the lab; anything else from the attached firewall's CLI, with
    // `lab` among the first words.
    std::vector<std::string> choices = lab_completions(lab, typed);
    const auto w = words(typed);
    if (!w.empty() && w[0] == "lab" && (w.size() > 1 || typed.back() == ' ')) return choices;
    if (LineRunner* r = console.runner()) {
      for (auto& c : cli::command_engine().completions(r->ctx, typed)) choices.push_back(c);
    }
    std::sort(choices.begin(), choices.end());
    return choices;
  };
  return run_terminal(hooks);
}

std::vector<std::string> lab_completions(lab::Lab& lab, const std::string& typed) {
  std::vector<std::string> w = words(typed);
  // The word being typed: the last one, or a new one after a space.
  const bool fresh = typed.empty() || typed.back() == ' ' || typed.back() == '\t';
  const std::string partial = fresh || w.empty() ? "" : w.back();
  if (!fresh && !w.empty()) w.pop_back();
  std::vector<std::string> candidates;
  if (w.empty()) {
    candidates = {"lab"};
  } else if (w[0] != "lab") {
    return {};
  } else if (w.size() == 1) {
    candidates = {"list",    "attach", "ping",  "send", "trace", "diagnose", "fix",
                  "capture", "keys",   "clock", "link", "fault", "export"};
  } else {
    const std::string& sub = w[1];
    const size_t at = w.size();  // the position of the word being typed
    if (sub == "attach" && at == 2) {
      for (const auto& n : lab.node_names()) {
        if (lab.device(n) != nullptr) candidates.push_back(n);
      }
    } else if ((sub == "ping" || sub == "send" || sub == "trace" || sub == "diagnose") && at == 2) {
      candidates = lab.host_names();
    } else if (sub == "ping" && at >= 4) {
      candidates = {"count", "size", "df"};
    } else if (sub == "send" && at == 3) {
      candidates = {"tcp", "udp"};
    } else if (sub == "trace" && at >= 4) {
      candidates = {"protocol", "port", "detail", "json"};
      if (w.back() == "protocol") candidates = {"icmp", "tcp", "udp"};
    } else if ((sub == "capture" && at == 2) || (sub == "link" && at == 3)) {
      candidates = lab.link_endpoints();
    } else if (sub == "capture" && at == 3) {
      candidates = {"stop"};
    } else if (sub == "clock" && at == 2) {
      candidates = {"advance"};
    } else if (sub == "link" && at == 2) {
      candidates = {"down", "up"};
    } else if (sub == "fault" && at == 2) {
      candidates = {"list", "inject", "reveal", "clear"};
    } else if (sub == "fault" && at == 3 && w[2] == "inject") {
      for (const auto& f : seed_faults()) candidates.push_back(f.name);
      candidates.emplace_back("random");
    }
  }
  std::vector<std::string> out;
  for (const auto& c : candidates) {
    if (config::iprefix(partial, c)) out.push_back(c);
  }
  return out;
}

int run_lab_script(lab::Lab& lab, const LabConsoleOptions& options, std::istream& in,
                   std::ostream& out, std::ostream& err) {
  Console console(lab, options);
  bool failed = false;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // The answer to a question (save) is shown after it, as a terminal echoes the key.
    if (console.asking()) out << line << "\n";
    const LineOutput r =
        line.size() > kMaxCommandLine ? too_long_line(line.size()) : console.run(line);
    out << r.out << r.question << std::flush;
    if (!r.err.empty())
      err << "line " << line_no << ": " << cli::hide_secrets(line) << "\n" << r.err << std::flush;
    if (!r.ok) failed = true;
  }
  if (console.asking()) {
    out << "\n" << std::flush;
    err << "Error: The question was not answered (the next line answers it); nothing was done.\n";
    failed = true;
  }
  return failed ? 1 : 0;
}

}  // namespace vfw
