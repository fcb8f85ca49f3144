// packet-trace: send a packet built from options through a device and show what each stage did
// (text, or JSON as in docs/packet-trace.md). The `vfw packet-trace` subcommand runs it on a
// device loaded from a file; the CLI command on the running device.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "base/expected.hpp"
#include "device/device.hpp"

namespace vfw {

struct PacketTraceOptions {
  std::string config;    // file; empty: the device passed in as it is
  std::string input;     // interface name as typed (g0/0/1, GigabitEthernet0/0/1)
  std::string protocol;  // icmp | tcp | udp | NUMBER
  std::string source;
  std::string destination;
  int source_port = -1;
  int destination_port = -1;
  int icmp_type = -1;
  int size = -1;  // IP total length; -1: the smallest packet
  bool dont_fragment = false;
  bool json = false;
  bool reverse = false;
  int repeat = 1;
  std::string pcap;  // write what leaves the device's interfaces to this file
  // A file of flows, one a line in the options' own words ("--input g0/0/1 --protocol tcp
  // --source 10.1.1.10 --destination 8.8.8.8 --destination-port 80"), traced one after the other
  // through the one device instead of the flow of the options above.
  std::string flows;
  // A capture whose packets are traced one after the other (device/pcap_replay.hpp), arriving on
  // input when it is given.
  std::string replay;
};

// Reads one line of a flow file into flow (which keeps what the line does not set); why not for
// an unknown option, a missing value or a number out of range.
Status parse_flow_line(std::string_view line, PacketTraceOptions& flow);

// At most this many packets a trace (--repeat), as the CLI's `repeat 1-100`.
inline constexpr int kMaxRepeat = 100;

// --replay goes with --input and --json only (InvalidArgument otherwise).
Status check_replay_options(const PacketTraceOptions& o);

// Runs the trace on device, printing to out. Why not, when it could not: InvalidArgument for a
// request that is not well formed (an option, an interface, the flow file); a line for each
// failed flow of a flow file.
Status run_packet_trace(Device& device, const PacketTraceOptions& options, std::ostream& out);

}  // namespace vfw
