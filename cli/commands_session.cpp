// Commands about the session rather than the configuration: save, screen-length, packet-trace.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cli/atomic_file.hpp"
#include "cli/command_helpers.hpp"
#include "config/render.hpp"
#include "device/device.hpp"
#include "device/packet_trace.hpp"
#include "device/pcap_replay.hpp"

namespace vfw::cli {
namespace {

// The names the device saves to: *.cfg (and *.zip, which it compresses; vfw does not).
Result check_file_name(const std::string& file) {
  auto ends_with = [&](std::string_view suffix) {
    if (file.size() <= suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(file[file.size() - suffix.size() + i])) !=
          suffix[i])
        return false;
    }
    return true;
  };
  if (ends_with(".zip")) return fail("Error: vfw saves .cfg files only; a .zip is not emulated.");
  if (!ends_with(".cfg")) return fail("Error: The file name must end with .cfg.");
  return kOk;
}

Result save(CommandContext& c, const Args& a) {
  if (c.read_only) return fail("Error: This session is read-only; the configuration is not saved.");
  // A name typed with the command must be a configuration file's; without one, the file the
  // session started from is written back, whatever its name.
  if (a.has("file")) {
    if (auto err = check_file_name(a.str("file")); !err) return err;
  }
  const std::string path = a.has("file") ? a.str("file") : c.save_path;
  c.out() += "The current configuration will be written to the device.\n";
  c.ask("Are you sure to continue?[Y/N]", [path](CommandContext& then, bool yes) -> Result {
    if (then.device() != nullptr)
      then.device()->log(std::string("CFM/4/SAVE: The user chose ") + (yes ? "Y" : "N") +
                             " when deciding whether to save the configuration to the device.",
                         's');
    if (!yes) {
      then.out() += "Info: The configuration was not saved.\n";
      return kOk;
    }
    then.out() += "Now saving the current configuration to the slot 0.\n";
    const Status written =
        write_file_atomically(path, config::render_current_configuration(then.config()));
    if (!written)
      return fail("Error: Failed to save the configuration (" + written.error().message + ").");
    then.out() += "Save the configuration successfully.\n";
    return kOk;
  });
  return kOk;
}

Result packet_trace(CommandContext& c, const Args& a) {
  Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  PacketTraceOptions o;
  o.input = a.str("ifname");
  o.protocol = a.has("proto")  ? a.str("proto")
               : a.has("icmp") ? "icmp"
               : a.has("tcp")  ? "tcp"
                               : "udp";
  o.source = a.str("src");
  o.destination = a.str("dst");
  if (a.has("sport")) o.source_port = static_cast<int>(a.uint("sport"));
  if (a.has("dport")) o.destination_port = static_cast<int>(a.uint("dport"));
  if (a.has("type")) o.icmp_type = static_cast<int>(a.uint("type"));
  if (a.has("size")) o.size = static_cast<int>(a.uint("size"));
  if (a.has("count")) o.repeat = static_cast<int>(a.uint("count"));
  o.dont_fragment = a.has("df");
  o.reverse = a.has("reverse");
  o.json = a.has("json");
  std::ostringstream out;
  const Status traced = run_packet_trace(*d, o, out);
  c.out() += out.str();
  if (!traced) return fail("Error: " + traced.error().message);
  return kOk;
}

// reset firewall session table: the sessions go, with their NAT resources; the next packet of
// a flow is a first packet again and meets the configuration as it is now.
Result reset_sessions(CommandContext& c, const Args& a) {
  Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  Device::SessionFilter f;
  if (a.has("src")) f.source = a.ip("src");
  if (a.has("dst")) f.destination = a.ip("dst");
  if (a.has("tcp")) f.protocol = ipproto::kTcp;
  if (a.has("udp")) f.protocol = ipproto::kUdp;
  if (a.has("icmp")) f.protocol = ipproto::kIcmp;
  d->reset_sessions(f);
  return kOk;
}

}  // namespace

// packet-trace next N [filter]: the next N real packets that match, traced as they arrive on
// the running device's interfaces (vfw run --bind, the lab); display packet-trace shows them.
Result packet_trace_next(CommandContext& c, const Args& a) {
  Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  Device::LiveTraceFilter f;
  if (a.has("ifname")) {
    f.interface = d->snapshot().interface_index(a.str("ifname"));
    if (f.interface == kNoInterface) return fail("Error: The interface does not exist.");
  }
  f.protocol = a.has("icmp")  ? ipproto::kIcmp
               : a.has("tcp") ? ipproto::kTcp
               : a.has("udp") ? ipproto::kUdp
                              : uint8_t{0};
  if (a.has("src")) f.source = a.ip("src");
  if (a.has("dst")) f.destination = a.ip("dst");
  if (a.has("dport")) f.destination_port = static_cast<uint16_t>(a.uint("dport"));
  d->arm_live_trace(f, a.uint("count"));
  c.out() += "Info: The next " + std::to_string(a.uint("count")) +
             " packets that match are traced as they arrive; display packet-trace shows them.\n";
  return kOk;
}

// packet-trace replay FILE [input-interface IF] [json]: every packet of a capture through a copy
// of the device (its running configuration, no sessions yet), in order and at the capture's pace,
// as `vfw packet-trace --replay` does. A copy, because a capture's thousands of packets must not be
// injected into the network the running device is part of, nor its sessions touched.
Result packet_trace_replay(CommandContext& c, const Args& a) {
  const Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  // A file, not a pipe or a device that would keep the session (and the data plane that runs
  // beside it in vfw run) waiting; its first kMaxCliReplay frames, as a screen can show.
  constexpr size_t kMaxCliReplay = 10000;
  struct stat st {};
  if (::stat(a.str("file").c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return fail("Error: " + a.str("file") + " is not a capture file.");
  Device copy(d->config());
  copy.set_time(d->now());
  ReplayOptions o{a.str("file"), a.has("ifname") ? a.str("ifname") : std::string(), a.has("json"),
                  kMaxCliReplay};
  // With json, the screen holds the trace objects alone, one a line, for a program to read (the
  // command line puts the frames not traced on standard error; a session has one screen): a
  // capture cut short is then an error after them.
  std::ostringstream out;
  std::ostringstream reports;
  const Status replayed = run_pcap_replay(copy, o, out, o.json ? reports : out);
  c.out() += out.str();
  if (!replayed) return fail("Error: " + replayed.error().message);
  std::istringstream reported(reports.str());
  for (std::string line; std::getline(reported, line);) {
    if (line.find("(the replay stops there)") != std::string::npos ||
        line.find("replayed, the rest not") != std::string::npos)
      return fail("Error: " + line);
  }
  return kOk;
}

Result display_packet_trace(CommandContext& c, const Args&) {
  const Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  const auto& traces = d->live_traces();
  for (size_t i = 0; i < traces.size(); ++i) {
    c.out() += "== packet " + std::to_string(i + 1) + " ==\n" + traces[i] + "\n";
  }
  c.out() += std::to_string(traces.size()) + " traced, " +
             std::to_string(d->live_trace_remaining()) + " still awaited\n";
  return kOk;
}

void register_session_commands(CommandEngine& e) {
  for (View v : {View::User, View::System}) {
    e.tree(v).add(
        "reset firewall session table [ protocol ( tcp | udp | icmp ) ] [ source {ip:src} ] "
        "[ destination {ip:dst} ]",
        reset_sessions);
  }
  // save, like display, ping and tracert, is the device's in every view, and runs where it is
  // typed (the prompt stays).
  e.tree(View::Global).add("save [ {word:file} ]", save, CommandKind::Operational);
  for (View v : {View::User, View::System}) {
    // packet-trace input-interface IF protocol P source A destination B [options], in any order
    // after the addresses as the device's diagnostic commands take them.
    e.tree(v).add(
        "packet-trace input-interface {iface:ifname} protocol ( icmp | tcp | udp | "
        "{uint:proto:1-255} ) "
        "source {ip:src} destination {ip:dst} [ source-port {uint:sport:0-65535} ] "
        "[ destination-port {uint:dport:0-65535} ] [ icmp-type {uint:type:0-255} ] [ size "
        "{uint:size:20-65535} ] "
        "[ df ] [ repeat {uint:count:1-100} ] [ reverse ] [ json ]",
        packet_trace);
    e.tree(v).add(
        "packet-trace next {uint:count:1-100} [ input-interface {iface:ifname} ] [ protocol ( icmp "
        "| tcp | udp ) ] [ source {ip:src} ] [ destination {ip:dst} ] [ destination-port "
        "{uint:dport:0-65535} ]",
        packet_trace_next);
    e.tree(v).add(
        "packet-trace replay {word:file:1-255} [ input-interface {iface:ifname} ] [ json ]",
        packet_trace_replay);
  }
  e.tree(View::Global).add("display packet-trace", display_packet_trace);
  e.tree(View::User)
      .add("screen-length {uint:lines:0-512} temporary",
           [](CommandContext& c, const Args& a) -> Result {
             c.screen_length = static_cast<int>(a.uint("lines"));
             c.out() += a.uint("lines") == 0 ? "Info: The configuration takes effect on the "
                                               "current user terminal interface only.\n"
                                             : "";
             return kOk;
           });
  e.tree(View::User)
      .add("undo screen-length temporary", [](CommandContext& c, const Args&) -> Result {
        c.screen_length = -1;
        return kOk;
      });
}

}  // namespace vfw::cli
