// What diagnose reads out of a trace: a packet sent through a device of its own, a stage's step
// found, its line, evidence, fix and the configuration behind it, where the packet stopped, and
// the flow's words and its reply.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "device/device.hpp"
#include "diagnose/diagnosis.hpp"
#include "packet/packet.hpp"
#include "pipeline/trace.hpp"

namespace vfw::diagnose {

struct Traced {
  Action action = Action::Drop;
  std::vector<uint8_t> bytes;  // as the device left it
  Trace trace;
};

Traced send(Device& d, std::vector<uint8_t> bytes, const std::string& input);
const TraceStep* find(const Trace& t, StageId stage);
std::string step_line(const TraceStep& s);
// The step's own words: its line, its changes and notes, its warnings.
std::vector<std::string> evidence_of(const TraceStep& s);
std::vector<std::string> fix_of(const TraceStep& s);
// The configuration behind a step's decision, as `display current-configuration` prints it: the
// rule, route or ACL rule, prefixed "config:".
std::vector<std::string> config_lines(const Device& dev, const TraceStep& s);
// Whether the step changed the packet (a translation).
bool moved(const TraceStep& s);
// Where the packet stopped, for the items it never reached.
std::string stopped_at(const Trace& t);
// The interface a host's packets arrive on: the one whose network holds it, else the one the
// route back to it leaves by.
std::string interface_towards(const Device& d, Ipv4 host);
std::string flow_words(const PacketSpec& p);
// The packet a diagnosis follows: from, to, the protocol and port; why not, for options that
// name no flow.
Expected<PacketSpec> flow_spec(const DiagnoseOptions& o);
// The answer the destination sends: addresses and ports swapped, an echo reply, a SYN-ACK.
PacketSpec reply_of(const PacketSpec& p);

}  // namespace vfw::diagnose
