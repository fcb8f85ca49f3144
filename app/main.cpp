// vfw: a Huawei USG6000-class firewall emulator. Subcommands:
//   vfw              the seed's lab, the console on FW1 (vfw lab seed)
//   vfw cli          the interactive CLI of one device (the built-in seed FW1, or --config FILE)
//   vfw check FILE   validate a configuration file
//   vfw packet-trace trace a packet through the pipeline
//   vfw diagnose     run the seed's checklists for a flow (docs/diagnose.md)
//   vfw lab [FILE]   a lab of firewalls and hosts (the seed's network built in; docs/lab.md)
//   vfw stages       print the forwarding order
//   vfw run          the device as a daemon: IKE on UDP 500/4500, its CLI on a local socket
//   vfw export nft   the configuration as an nftables ruleset
//   vfw completion   bash's completion for these subcommands and options
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>

#include "app/cli_session.hpp"
#include "app/completion.hpp"
#include "app/daemon.hpp"
#include "app/exit_status.hpp"
#include "app/export_nft.hpp"
#include "app/lab_console.hpp"
#include "builtin_example.hpp"
#include "builtin_lab.hpp"
#include "cli/command_tree.hpp"
#include "cli/config_loader.hpp"
#include "cli/display_formats.hpp"
#include "config/interface_name.hpp"
#include "device/packet_trace.hpp"
#include "device/pcap_replay.hpp"
#include "device/trace_fix_proof.hpp"
#include "diagnose/diagnosis.hpp"
#include "stages/standard_stages.hpp"
#include "verify/fix_proof.hpp"

namespace {

// " (did you mean --config?)" when one of sub's options is a letter or two from word.
std::string closest_option(const CLI::App& sub, const std::string& word) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::string best;
  size_t best_distance = 3;  // more than two edits away is not a typo of it
  for (const CLI::Option* o : sub.get_options()) {
    for (const std::string& name : o->get_lnames()) {
      const size_t d = distance(word, "--" + name);
      if (d < best_distance) {
        best_distance = d;
        best = "--" + name;
      }
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

int packet_trace(const vfw::PacketTraceOptions& o) {
  vfw::cli::LoadResult loaded = vfw::cli::load_config_file(o.config);
  for (const auto& e : loaded.errors) std::cerr << e.format();
  if (!loaded.ok()) return 1;
  vfw::Device device(std::move(loaded.config));
  if (!o.replay.empty() && o.json) {
    // JSON lines on standard output, one trace each; the frames not traced on standard error.
    if (vfw::Status fits = vfw::check_replay_options(o); !fits)
      return vfw::exit_status(fits, "packet-trace", std::cerr);
    return vfw::exit_status(
        vfw::run_pcap_replay(device, {o.replay, o.input, true, 0}, std::cout, std::cerr),
        "packet-trace", std::cerr);
  }
  return vfw::exit_status(vfw::run_packet_trace(device, o, std::cout), "packet-trace", std::cerr);
}

struct DiagnoseArgs {
  std::string config;
  std::string peer;
  vfw::diagnose::DiagnoseOptions options;
  bool json = false;
};

// 0: nothing failed; 1: an item failed, or a configuration does not load; 2: bad arguments.
int diagnose(const DiagnoseArgs& a) {
  vfw::cli::LoadResult local = vfw::cli::load_config_file(a.config);
  for (const auto& e : local.errors) std::cerr << e.format();
  if (!local.ok()) return 1;
  std::optional<vfw::cli::LoadResult> peer;
  if (!a.peer.empty()) {
    peer = vfw::cli::load_config_file(a.peer);
    for (const auto& e : peer->errors) std::cerr << e.format();
    if (!peer->ok()) return 1;
  }
  // Every fix printed has been typed into a copy and run again (verify/fix_proof.hpp).
  const auto d =
      vfw::verify::diagnose_proven(local.config, peer ? &peer->config : nullptr, a.options);
  if (!d) {
    std::cerr << "diagnose: " << d.error().message << "\n";
    return 2;
  }
  std::cout << (a.json ? vfw::diagnose::format_diagnosis_json(*d)
                       : vfw::diagnose::format_diagnosis_text(*d));
  return d->failed() ? 1 : 0;
}

struct LabArgs {
  std::string file;  // "" or "seed": the built-in lab
  std::string attach;
  std::vector<std::string> commands;
  bool wall_clock = false;
};

// 0: every line ran; 1: a line failed, or the lab could not be made; 2: bad arguments.
int run_lab(const LabArgs& a) {
  const bool builtin = a.file.empty() || a.file == "seed";
  vfw::lab::TopologyResult t =
      builtin ? vfw::lab::parse_topology(vfw::kBuiltinLabTopology, "builtin:seed.clab.yml", ".")
              : vfw::lab::load_topology(a.file);
  for (const auto& e : t.errors) std::cerr << e.format() << "\n";
  for (const auto& n : t.notes) std::cerr << n.format() << "\n";
  if (!t.ok()) return 1;
  std::vector<std::string> errors;
  auto lab =
      vfw::lab::Lab::create(t.topology, errors, builtin ? &vfw::builtin_lab_files() : nullptr);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (lab == nullptr) return 1;
  vfw::LabConsoleOptions options;
  options.attach = a.attach;
  options.wall_clock = a.wall_clock;
  if (!a.attach.empty() && lab->device(a.attach) == nullptr) {
    std::cerr << "lab: no firewall named " << a.attach << "\n";
    return 2;
  }
  if (builtin) {
    options.topology_text = vfw::kBuiltinLabTopology;
    options.files = vfw::builtin_lab_files();
  }
  options.remake = [topology = t.topology, builtin]() {
    std::vector<std::string> ignored;
    return vfw::lab::Lab::create(topology, ignored, builtin ? &vfw::builtin_lab_files() : nullptr);
  };
  if (!a.commands.empty()) {
    std::string script;
    for (const auto& c : a.commands) script += c + "\n";
    std::istringstream in(script);
    return vfw::run_lab_script(*lab, options, in, std::cout, std::cerr);
  }
  if (isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0)
    return vfw::run_lab_terminal(*lab, options);
  return vfw::run_lab_script(*lab, options, std::cin, std::cout, std::cerr);
}

int check(const std::vector<std::string>& files, bool strict) {
  int status = 0;
  for (const auto& file : files) {
    vfw::cli::LoadResult r = vfw::cli::load_config_file(file, {strict});
    for (const auto& n : r.notices) std::cout << file << ": " << n << "\n";
    for (const auto& e : r.errors) std::cerr << e.format();
    if (r.ok()) {
      std::cout << file << ": OK\n";
    } else {
      std::cerr << file << ": " << r.errors.size() << " error(s); nothing applied\n";
      status = 1;
    }
  }
  return status;
}

// The configuration a device starts on: the file, or the built-in seed FW1; nullopt (errors
// printed) when the file does not load.
std::optional<vfw::config::Config> starting_config(const std::string& config) {
  vfw::cli::LoadResult loaded =
      config.empty() ? vfw::cli::load_config_text(vfw::kBuiltinExample, "builtin:fw1.cfg")
                     : vfw::cli::load_config_file(config);
  for (const auto& e : loaded.errors) std::cerr << e.format();
  if (!loaded.ok()) return std::nullopt;
  return std::move(loaded.config);
}

int run_device(const std::string& config, const vfw::DaemonOptions& options, uint32_t sessions) {
  auto cfg = starting_config(config);
  if (!cfg) return 1;
  vfw::Device device(std::move(*cfg), sessions);
  return vfw::run_daemon(device, options);
}

int cli(const std::string& config, const std::vector<std::string>& commands) {
  auto cfg = starting_config(config);
  if (!cfg) return 1;
  vfw::Device device(std::move(*cfg));
  device.follow_wall_clock();  // sessions age in real time, as on the device
  vfw::CliOptions options;
  if (!config.empty()) options.save_path = config;  // `save` writes back where the session began
  if (!commands.empty()) {
    // The -c lines are a script typed at one login: from user view, a question answered by the
    // next line, each error after the line it came from.
    std::string script;
    for (const auto& c : commands) script += c + "\n";
    std::istringstream in(script);
    return vfw::run_cli(device, in, std::cout, std::cerr, options);
  }
  if (isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0)
    return vfw::run_terminal(device, options);
  return vfw::run_cli(device, std::cin, std::cout, std::cerr, options);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"vfw: a Huawei USG6000-class firewall emulator"};
  app.set_version_flag("--version", "vfw " + vfw::cli::vfw_version());
  app.require_subcommand(0, 1);

  std::string config;
  std::vector<std::string> commands;
  app.add_option("--config", config,
                 "The CLI of one device on this configuration file (without it and without a "
                 "subcommand: the seed's lab, the console on FW1)")
      ->type_name("FILE");
  CLI::App* cli_cmd = app.add_subcommand(
      "cli", "The VRP-like command line of one device (the seed's FW1, or --config FILE)");
  cli_cmd->add_option("--config", config, "Start on this configuration file")->type_name("FILE");
  cli_cmd->add_option("-c", commands,
                      "Run this line and exit (repeatable: the lines of one session, from user "
                      "view, as typed at a login)");
  std::string connect;
  cli_cmd->add_option("--connect", connect, "Talk to a running `vfw run` through its socket")
      ->type_name("FILE")
      ->expected(0, 1)
      ->default_str("");

  std::vector<std::string> files;
  CLI::App* check_cmd =
      app.add_subcommand("check", "Validate configuration files; non-zero exit on errors");
  check_cmd->add_option("CONFIG", files, "Configuration file")->required()->type_name("FILE");
  bool strict = false;
  check_cmd->add_flag("--strict", strict,
                      "A line vfw does not know is an error (for hand-written files); without it, "
                      "such a line is kept verbatim as the device's own");

  vfw::PacketTraceOptions pt;
  CLI::App* trace =
      app.add_subcommand("packet-trace", "Trace a packet through the forwarding pipeline");
  trace->add_option("--config", pt.config, "Configuration file")->required()->type_name("FILE");
  // The flow's four are needed unless --flows names a file of flows instead.
  CLI::Option* flows = trace
                           ->add_option("--flows", pt.flows,
                                        "A file of flows, one a line in these options' words "
                                        "(--input ... --destination-port 80), "
                                        "traced one after the other through the one device")
                           ->type_name("FILE");
  for (auto [name, into, help] :
       {std::tuple{"--input", &pt.input, "Input interface (GigabitEthernet0/0/1, g0/0/1)"},
        std::tuple{"--protocol", &pt.protocol, "icmp, tcp, udp or an IP protocol number"},
        std::tuple{"--source", &pt.source, "Source address"},
        std::tuple{"--destination", &pt.destination, "Destination address"}}) {
    trace->add_option(name, *into, help)->excludes(flows);
  }
  // Tab offers the names; a number is typed.
  trace->get_option("--protocol")->type_name("icmp|tcp|udp|N");
  trace->add_option("--source-port", pt.source_port, "Source port (ICMP: identifier)")
      ->check(CLI::Range(0, 65535));
  trace->add_option("--destination-port", pt.destination_port, "Destination port (tcp, udp)")
      ->check(CLI::Range(0, 65535));
  trace->add_option("--icmp-type", pt.icmp_type, "ICMP type (default 8, echo request)")
      ->check(CLI::Range(0, 255));
  trace->add_option("--size", pt.size, "IP total length in bytes (default: the smallest packet)");
  trace->add_flag("--df", pt.dont_fragment, "Set Don't Fragment");
  trace->add_flag("--json", pt.json, "One JSON object per packet (docs/packet-trace.md)");
  trace->add_flag("--reverse", pt.reverse, "Then send the reply and show it un-translated");
  trace->add_option("--pcap", pt.pcap, "Write the packets that leave the device to this pcap file")
      ->type_name("FILE");
  trace
      ->add_option("--replay", pt.replay,
                   "Trace every packet of this capture (pcap, pcapng) in order, with state, then "
                   "a summary by flow; --input: where they arrive (default: the interface back "
                   "to each source)")
      ->type_name("FILE")
      ->excludes(flows);
  trace
      ->add_option("--repeat", pt.repeat,
                   "Send the flow's packet N times (2: the session fast path), 1-100")
      ->check(CLI::Range(1, vfw::kMaxRepeat));

  DiagnoseArgs dg;
  CLI::App* diag = app.add_subcommand(
      "diagnose",
      "Run the seed's forwarding requirements and service-interruption checklist for a flow and "
      "its reply; with --peer, forecast and run the negotiation (docs/diagnose.md)");
  diag->add_option("--config", dg.config, "This gateway's configuration file")
      ->required()
      ->type_name("FILE");
  diag->add_option("--peer", dg.peer, "The IKE peer's configuration file")->type_name("FILE");
  diag->add_option("--from", dg.options.from, "Source address of the traffic")->required();
  diag->add_option("--to", dg.options.to, "Destination address of the traffic")->required();
  diag->add_option("--protocol", dg.options.protocol, "icmp, tcp or udp")
      ->default_str("icmp")
      ->check(CLI::IsMember({"icmp", "tcp", "udp"}));
  diag->add_option("--port", dg.options.port, "Destination port for tcp and udp")
      ->check(CLI::Range(1, 65535));
  diag->add_flag("--json", dg.json, "One JSON object (docs/diagnose.md)");

  LabArgs lab_args;
  CLI::App* lab_cmd = app.add_subcommand(
      "lab",
      "A lab of firewalls and hosts on one simulated clock: FILE (containerlab's format) or "
      "`seed`, the seed's network (the default); lines from standard input or -c (docs/lab.md)");
  lab_cmd->add_option("FILE", lab_args.file, "Topology file, or seed")->type_name("FILE|seed");
  lab_cmd->add_option("--attach", lab_args.attach, "The firewall the console starts on");
  lab_cmd->add_option("-c,--command", lab_args.commands, "A line to run (repeatable)");
  lab_cmd->add_flag("--wall-clock", lab_args.wall_clock,
                    "The lab's clock also follows the wall clock between lines");

  CLI::App* stages = app.add_subcommand("stages", "Print the forwarding order of the pipeline");

  // INTERFACE=LINUX, as vfw run and vfw export nft take it.
  const auto binding_check = [](const std::string& v) {
    const size_t eq = v.find('=');
    return eq == std::string::npos || eq == 0 || eq + 1 == v.size()
               ? std::string("expected INTERFACE=LINUX, as GigabitEthernet0/0/1=eth1")
               : std::string();
  };
  vfw::ExportNftOptions nft_options;
  std::string nft_config;
  std::vector<std::string> nft_binds;
  CLI::App* export_cmd =
      app.add_subcommand("export", "The configuration in another system's terms");
  CLI::App* export_nft_cmd = export_cmd->add_subcommand(
      "nft", "As an nftables ruleset: `nft -f` text, or applied to the kernel (docs/nftables.md)");
  export_cmd->require_subcommand(1);
  export_nft_cmd->add_option("--config", nft_config, "Configuration file (default: the seed's FW1)")
      ->type_name("FILE");
  export_nft_cmd->add_option("--output", nft_options.output, "Write the ruleset's text there")
      ->type_name("FILE");
  export_nft_cmd
      ->add_option("--bind", nft_binds,
                   "INTERFACE=LINUX: the Linux interface a device interface is (repeatable; "
                   "default: GigabitEthernet0/0/1 is ge0-0-1)")
      ->check(binding_check);
  export_nft_cmd->add_flag("--apply", nft_options.apply,
                           "Replace vfw's table in the kernel, in one netlink batch");
  export_nft_cmd->add_option("--netns", nft_options.netns,
                             "Apply in this network namespace (ip netns's name)");

  vfw::DaemonOptions daemon;
  std::string run_config;
  bool no_terminal = false;
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Run the device: on Linux interfaces with --bind (docs/vm.md), else IKE on UDP 500 and "
      "4500 of its interface addresses; the CLI on the terminal and on a local socket");
  run_cmd->add_option("--config", run_config, "Configuration file (default: the seed's FW1)")
      ->type_name("FILE");
  run_cmd->add_option("--socket", daemon.socket_path, "The CLI's local socket")
      ->type_name("FILE")
      ->default_str(vfw::default_socket_path());
  std::vector<std::string> binds;
  run_cmd
      ->add_option("--bind", binds,
                   "INTERFACE=LINUX: the device's interface on a Linux interface, through "
                   "AF_PACKET (repeatable; docs/vm.md)")
      ->check(binding_check);
  std::string dataplane = "vfw";
  run_cmd
      ->add_option("--dataplane", dataplane,
                   "vfw: vfw forwards the bound interfaces' frames; kernel: the Linux kernel "
                   "forwards with the configuration as nftables, vfw keeps the CLI, the displays "
                   "and IKE (docs/nftables.md)")
      ->check(CLI::IsMember({"vfw", "kernel"}))
      ->default_str("vfw");
  run_cmd->add_flag("--no-terminal", no_terminal, "Do not read CLI lines from standard input");
  run_cmd
      ->add_option("--log-host", daemon.log_host,
                   "ADDRESS[:PORT]: the log lines also as syslog over UDP (port 514), as "
                   "info-center loghost sends them")
      ->type_name("ADDRESS[:PORT]")
      ->check([](const std::string& v) {
        // Checked here so that a mistake is a bad argument (exit 2), not a failed start.
        const size_t colon = v.find(':');
        const std::string port = colon == std::string::npos ? "514" : v.substr(colon + 1);
        const bool port_ok = !port.empty() && port.size() <= 5 &&
                             port.find_first_not_of("0123456789") == std::string::npos &&
                             std::stoul(port) >= 1 && std::stoul(port) <= 65535;
        return vfw::parse_ipv4(v.substr(0, colon)) && port_ok
                   ? std::string()
                   : "\"" + v + "\" is not ADDRESS[:PORT], as 192.0.2.10 or 192.0.2.10:1514";
      });
  run_cmd
      ->add_option("--ssh-port", daemon.ssh_port,
                   "TCP port of the CLI over SSH, on the device's addresses this host holds "
                   "on interfaces not bound (0: no SSH; docs/vm.md)")
      ->default_val(22);
  run_cmd
      ->add_option("--manage-interface", daemon.manage_interface,
                   "LINUX: the Linux interface that is the device's management port "
                   "GigabitEthernet0/0/0, whatever its address (a container's eth0): SSH answers "
                   "on its addresses too")
      ->type_name("LINUX");
  run_cmd
      ->add_option("--ssh-host-key", daemon.ssh_host_key,
                   "The SSH host key, made there on first start (default: "
                   "$VFW_SSH_HOST_KEY, else ~/.config/vfw/ssh_host_ed25519_key)")
      ->type_name("FILE");
  run_cmd->add_flag("--debug", daemon.debug,
                    "Log at debug level, IKE's keys included (for Wireshark)");
  run_cmd
      ->add_option("--keys", daemon.keys_dir,
                   "Keep Wireshark's esp_sa, ikev2_decryption_table and ikev1_decryption_table "
                   "in this folder (a Wireshark profile's) as SAs come and go")
      ->check(CLI::ExistingDirectory);
  uint32_t run_sessions = vfw::Device::kDefaultSessionCapacity;
  run_cmd
      ->add_option("--sessions", run_sessions,
                   "The session table's size, as a model's capacity (default 262144)")
      ->check(CLI::Range(1024U, 16U << 20));

  std::string shell;
  CLI::App* completion_cmd = app.add_subcommand(
      "completion",
      "Print the shell's completion for vfw, made from these options: `vfw completion bash > "
      "/etc/bash_completion.d/vfw`");
  completion_cmd->add_option("SHELL", shell, "The shell")
      ->required()
      ->check(CLI::IsMember({"bash"}));

  // One exit-code convention (README): 0 done, 1 the configuration or a command failed, 2 a bad
  // argument (CLI11's own codes, 104-109, are folded into it), 3 an internal error.
  try {
    app.parse(argc, argv);
  } catch (const CLI::RequiredError& e) {
    // CLI11 checks the required options before it looks at the words it did not know: a typo
    // (`--confg x`) said "--config is required". The word it did not know is the real mistake.
    for (const CLI::App* sub : app.get_subcommands()) {
      for (const std::string& word : sub->remaining()) {
        if (word.rfind("--", 0) != 0) continue;
        std::cerr << sub->get_name() << ": " << word << " is not an option of " << sub->get_name()
                  << closest_option(*sub, word) << "\n"
                  << "Run with --help for more information.\n";
        return 2;
      }
    }
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // vfw --config FILE is the CLI's: before another subcommand it would be ignored.
  if (!config.empty() && !app.get_subcommands().empty() && !*cli_cmd) {
    // The innermost subcommand typed (export nft, not export): the one that would read it.
    CLI::App* sub = app.get_subcommands().front();
    std::string typed = sub->get_name();
    while (!sub->get_subcommands().empty()) {
      sub = sub->get_subcommands().front();
      typed += " " + sub->get_name();
    }
    std::cerr << "vfw: --config before " << sub->get_name() << " is the CLI's, and "
              << sub->get_name() << " would not read it; "
              << (sub->get_option_no_throw("--config") != nullptr
                      ? "give it after the subcommand (vfw " + typed + " --config " + config + ")"
                      : sub->get_name() + " takes no --config")
              << "\n";
    return 2;
  }
  if (*completion_cmd) {
    std::cout << vfw::bash_completion(app, "vfw");
    return 0;
  }
  if (*check_cmd) return check(files, strict);
  if (*export_nft_cmd) {
    auto cfg = starting_config(nft_config);
    if (!cfg) return 1;
    for (const auto& b : nft_binds) {
      const auto name = vfw::config::normalize_interface(b.substr(0, b.find('=')));
      if (!name || cfg->interfaces.count(*name) == 0) {
        std::cerr << "vfw: the configuration has no interface " << b.substr(0, b.find('=')) << "\n";
        return 2;
      }
      nft_options.binds.emplace_back(*name, b.substr(b.find('=') + 1));
    }
    return vfw::export_nft(*cfg, nft_options);
  }
  if (*run_cmd) {
    if (daemon.socket_path.empty()) daemon.socket_path = vfw::default_socket_path();
    daemon.terminal = !no_terminal;
    if (!run_config.empty()) daemon.save_path = run_config;  // `save` writes back there
    for (const auto& b : binds)
      daemon.binds.emplace_back(b.substr(0, b.find('=')), b.substr(b.find('=') + 1));
    daemon.kernel_dataplane = dataplane == "kernel";
    if (daemon.kernel_dataplane && daemon.binds.empty()) {
      std::cerr << "vfw: --dataplane kernel needs the interfaces the kernel forwards between "
                   "(--bind INTERFACE=LINUX)\n";
      return 2;
    }
    return run_device(run_config, daemon, run_sessions);
  }
  if (*cli_cmd && cli_cmd->count("--connect") > 0)
    return vfw::connect_cli(connect.empty() ? vfw::default_socket_path() : connect, commands);
  if (*trace) return packet_trace(pt);
  if (*diag) return diagnose(dg);
  if (*lab_cmd) return run_lab(lab_args);
  if (*stages) {
    int n = 1;
    for (auto name : vfw::Pipeline(vfw::standard_stages()).order())
      std::cout << n++ << " " << name << "\n";
    return 0;
  }
  // `vfw` alone starts the seed's lab with the console on FW1; `vfw cli` and `vfw --config FILE`
  // the CLI of one device.
  if (!*cli_cmd && config.empty()) return run_lab(LabArgs{});
  return cli(config, commands);
}

int main(int argc, char** argv) {
  // The trace's fixes are proven before they are shown, typed with the CLI's command engine
  // (a layer above the device that traces).
  vfw::set_fix_typist(vfw::cli::apply_fix);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Only the edges throw (a file that cannot be mapped, memory); say so instead of aborting.
    std::cerr << "vfw: " << e.what() << "\n";
    return 3;
  }
}
