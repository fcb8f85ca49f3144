// `vfw diagnose`: the seed's checklists, run for one flow and its reply. The forwarding
// requirements 1-6 ("Abnormal Services After Successful IPSec Tunnel Setup") on each gateway the
// configurations describe, the service-interruption checklist 1-8 as far as configurations can
// answer it, and, with the peer's configuration, the negotiation forecast and the real
// negotiation of the two configurations in memory.
//
// Each item is passed, failed (with the evidence: the trace step, the rule, and the fix as lines
// to type), not reached (an earlier stage dropped the packet) or not decidable from
// configurations (the carrier, a NAT device's sessions), with what to check instead.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vfw::diagnose {

enum class ItemStatus : uint8_t { Passed, Failed, NotReached, NotDecidable };
std::string_view verdict_name(ItemStatus v);  // "passed", "failed", "not reached", "not decidable"

struct Finding {
  std::string item;    // "requirement 3", "checklist 7", "negotiation"
  std::string title;   // the seed's question, short
  std::string device;  // the gateway it concerns ("FW1"), "" for both
  ItemStatus verdict = ItemStatus::Passed;
  std::vector<std::string> evidence;
  std::vector<std::string> fix;  // lines to type on device, system-view to return
  std::string check;             // what to check by hand when configurations cannot tell
};

struct Diagnosis {
  std::string traffic;  // "icmp 10.1.1.2 -> 10.2.1.2"
  std::vector<Finding> findings;
  bool failed() const;
};

struct DiagnoseOptions {
  std::string from;
  std::string to;
  std::string protocol = "icmp";  // icmp | tcp | udp
  int port = -1;                  // the destination port for tcp and udp
};

// nullopt with error set for arguments that name no flow (bad addresses, no interface of the
// device reaches the source).
std::optional<Diagnosis> diagnose(const config::Config& local, const config::Config* peer,
                                  const DiagnoseOptions& options, std::string& error);

std::string format_diagnosis_text(const Diagnosis& d);
std::string format_diagnosis_json(const Diagnosis& d);

}  // namespace vfw::diagnose
