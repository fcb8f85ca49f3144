// packet-trace on existing traffic, as the ASA's `packet-tracer ... pcap` and the USG's tracer on
// live flows: each packet of a capture through the device in the capture's order and at its pace
// (the device clock moves with the timestamps), with state (sessions, NAT, the IKE a packet
// triggers), each traced; then, per flow, how many packets, what became of the last, and why
// packets were dropped. A frame with no IPv4 packet in it is reported with its number and why,
// and the replay goes on.
#pragma once

#include <ostream>
#include <string>

#include "base/expected.hpp"
#include "device/device.hpp"

namespace vfw {

struct ReplayOptions {
  std::string file;   // pcap or pcapng
  std::string input;  // every packet arrives there; "": the interface that leads back to its source
  bool json = false;  // one trace object per line (packet-trace's JSON), the reports on err
  size_t max_packets = 0;  // 0: all of them; else the capture's first N frames
};

// InvalidArgument when the file cannot be read or the input interface does not exist.
Status run_pcap_replay(Device& device, const ReplayOptions& o, std::ostream& out,
                       std::ostream& err);

}  // namespace vfw
