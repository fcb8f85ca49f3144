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

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/model.hpp"

namespace vfw::diagnose {

// X(enum, id): an item's verdict, as the text and the JSON print it. A warning does not stop the
// flow but degrades it (the seed's "Poor IPSec Service Quality"): it fails no diagnosis.
#define VFW_ITEM_STATUSES(X)       \
  X(Passed, "passed")              \
  X(Failed, "failed")              \
  X(NotReached, "not reached")     \
  X(NotDecidable, "not decidable") \
  X(Warning, "warning")

enum class ItemStatus : uint8_t {
#define VFW_ENUM(e, id) e,
  VFW_ITEM_STATUSES(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kItemStatusIds = {
#define VFW_ID(e, id) std::string_view{id},
    VFW_ITEM_STATUSES(VFW_ID)
#undef VFW_ID
};

constexpr std::string_view verdict_name(ItemStatus v) {
  return kItemStatusIds[static_cast<size_t>(v)];
}

// X(enum, id): the lists of the seed an item belongs to. The forwarding requirements and the
// service-interruption checklist are numbered as the seed numbers them; the reply (without the
// peer's configuration), the negotiation and the lab (the flow carried through a lab of the two
// gateways, verify/fix_proof.hpp) are one item each; quality 1 is the seed's "Poor IPSec Service
// Quality": full-size packets and the tunnel's MTU.
#define VFW_ITEM_LISTS(X)       \
  X(Requirement, "requirement") \
  X(Checklist, "checklist")     \
  X(Reply, "reply")             \
  X(Negotiation, "negotiation") \
  X(Lab, "lab")                 \
  X(Quality, "quality")

enum class ItemList : uint8_t {
#define VFW_ENUM(e, id) e,
  VFW_ITEM_LISTS(VFW_ENUM)
#undef VFW_ENUM
};

inline constexpr std::array kItemListIds = {
#define VFW_ID(e, id) std::string_view{id},
    VFW_ITEM_LISTS(VFW_ID)
#undef VFW_ID
};

struct ItemId {
  ItemList list = ItemList::Requirement;
  int number = 0;         // the seed's number in its list; 0 for the reply and the negotiation
  std::string qualifier;  // " (from 10.2.1.2)" for the reply's requirements, " (local zone)"

  // "requirement 3 (from 10.2.1.2)", "checklist 7", "negotiation": the id in text and JSON.
  std::string text() const;
  bool is(ItemList l, int n) const { return list == l && number == n && qualifier.empty(); }
};

// How a fix was proven before it was printed (verify/fix_proof.hpp): what ran on the fixed
// copies of the configurations, and the candidates that were not printed, each with why.
struct FixProof {
  bool verified = false;
  std::vector<std::string> ran;
  std::vector<std::string> rejected;
};

struct Finding {
  ItemId item;
  std::string title;   // the seed's question, short
  std::string device;  // the gateway it concerns ("FW1"), "" for both
  ItemStatus verdict = ItemStatus::Passed;
  std::vector<std::string> evidence;
  std::vector<std::string> fix;  // lines to type on device, system-view to return
  std::string check;             // what to check by hand when configurations cannot tell
  FixProof proof;
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
  // The routers beside each gateway, by sysname: the addresses a route fix may name as its next
  // hop. A lab knows them (`lab diagnose`); configuration files do not, and a route a gateway
  // needs through a next hop no file names is left to check by hand, not printed as a fix.
  std::map<std::string, std::vector<Ipv4>> neighbours;
};

// Why not, for arguments that name no flow (bad addresses, no interface of the device reaches
// the source).
Expected<Diagnosis> diagnose(const config::Config& local, const config::Config* peer,
                             const DiagnoseOptions& options);

std::string format_diagnosis_text(const Diagnosis& d);
// The version of docs/schemas/diagnose.schema.json it follows (its "version" key and the $id).
inline constexpr int kDiagnosisJsonVersion = 2;
std::string format_diagnosis_json(const Diagnosis& d);

}  // namespace vfw::diagnose
