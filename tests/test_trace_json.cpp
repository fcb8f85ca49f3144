// The JSON twins of the trace's prose (docs/packet-trace.md): `headers`, `matched_object`,
// `leaving_headers` and the lab leg's `outcome` say what the sentences say, in a form a program
// reads. Checked the way a script would use them: every object a trace names is found in the
// device's configuration or state, and every twin agrees with the sentence beside it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "config/services.hpp"
#include "device/device.hpp"
#include "ipsec/sad.hpp"
#include "packet/fragmentation.hpp"
#include "seed_lab.hpp"

namespace vfw {
namespace {

using lab::Lab;

// The object a step names exists where its kind says, and the kind is one that stage decides by.
void check_matched_object(const TraceStep& s, const TraceResult& result, Device& device) {
  const config::Config& cfg = device.config();
  INFO(stage_id(s.stage) << ": " << s.matched << " as {" << matched_kind_id(s.matched_kind) << ", "
                         << s.matched_name << "}");
  CHECK(s.matched.empty() == (s.matched_kind == MatchedKind::None));
  if (s.matched_kind == MatchedKind::None) return;
  auto has = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const auto& item) { return item.name == s.matched_name; });
  };
  switch (s.matched_kind) {
    case MatchedKind::Session:
      CHECK(s.stage == StageId::Session);
      CHECK(s.matched.rfind("session " + s.matched_name + " (", 0) == 0);
      break;
    case MatchedKind::NatServer:
      CHECK((s.stage == StageId::ServerMap || s.stage == StageId::Snat));
      CHECK(has(cfg.nat_servers));
      break;
    case MatchedKind::NatPolicyRule:
      CHECK((s.stage == StageId::Dnat || s.stage == StageId::Snat));
      CHECK(has(cfg.nat_policy.rules));
      break;
    case MatchedKind::Route: {
      CHECK(s.stage == StageId::Route);
      // The route that matched holds the packet's destination.
      const size_t slash = s.matched_name.find('/');
      REQUIRE(slash != std::string::npos);
      const auto addr = parse_ipv4(s.matched_name.substr(0, slash));
      REQUIRE(addr);
      const Prefix p = Prefix::make(*addr, std::stoi(s.matched_name.substr(slash + 1)));
      CHECK(p.contains(Ipv4{s.before.dst}));
      break;
    }
    case MatchedKind::SecurityPolicyRule:
      CHECK(s.stage == StageId::SecurityPolicy);
      CHECK(has(cfg.security_policy.rules));
      break;
    case MatchedKind::SecurityPolicyDefault:
      CHECK(s.stage == StageId::SecurityPolicy);
      CHECK(s.matched_name == "default");
      break;
    case MatchedKind::ServiceManage:
      CHECK(s.stage == StageId::SecurityPolicy);
      CHECK(cfg.interfaces.count(s.matched_name) == 1);
      break;
    case MatchedKind::TrafficPolicyRule:
      CHECK(s.stage == StageId::TrafficPolicy);
      CHECK(has(cfg.traffic_policy.rules));
      break;
    case MatchedKind::IpsecPolicy: {
      CHECK((s.stage == StageId::Ipsec || s.stage == StageId::IpsecInbound));
      const bool found =
          std::any_of(cfg.ipsec_policies.begin(), cfg.ipsec_policies.end(), [&](const auto& p) {
            return s.matched_name == p.name + " " + std::to_string(p.seq) ||
                   s.matched_name == p.name;
          });
      CHECK(found);
      break;
    }
    case MatchedKind::IpsecSa: {
      CHECK(s.stage == StageId::IpsecInbound);
      const auto& sas = device.runtime().sad.all();
      CHECK(std::any_of(sas.begin(), sas.end(), [&](const auto& sa) {
        return sa->inbound && ipsec::hex_spi(sa->spi) == s.matched_name;
      }));
      break;
    }
    case MatchedKind::Interface:
      CHECK(s.stage == StageId::Egress);
      CHECK(s.matched_name == result.output);
      break;
    case MatchedKind::None:
      break;
  }
}

// Whether a lab leg's disposition says what its twin says (the sentence rebuilt from the fields
// where it holds nothing else, else its fixed words and the node).
bool agrees(const Lab::Leg& leg) {
  const std::string& d = leg.disposition;
  auto starts = [&](const std::string& prefix) { return d.rfind(prefix, 0) == 0; };
  switch (leg.outcome) {
    case Lab::LegOutcome::Dropped:
      return leg.stage && d == "dropped at " + leg.at + " by stage " +
                                   std::string(stage_id(*leg.stage)) + " (" +
                                   std::string(drop_reason_id(leg.drop)) + ")";
    case Lab::LegOutcome::Held:
      return d == "held at " + leg.at + " while IKE negotiates (" +
                      std::string(drop_reason_id(leg.drop)) + ")";
    case Lab::LegOutcome::DeliveredToDevice:
      return leg.delivered && d == "delivered to " + leg.at + " itself";
    case Lab::LegOutcome::Delivered:
      return leg.delivered && starts("delivered to " + leg.at + " (");
    case Lab::LegOutcome::ReachedOtherHost:
      return !leg.delivered && starts("reached " + leg.at + ", which is not ");
    case Lab::LegOutcome::WaitingForArp:
      return !leg.delivered && starts("waiting at " + leg.at + " for the MAC address of ");
    case Lab::LegOutcome::Lost:
      return !leg.delivered &&
             (leg.at.empty() ? starts("lost on the link ") : starts("lost: " + leg.at + ":"));
    case Lab::LegOutcome::NotForwarded:
      return !leg.delivered && d == "no node took it further";
  }
  return false;
}

}  // namespace

TEST_CASE("a lab trace's twins agree with its prose: every matched object exists, headers as sent",
          "[lab][trace][json]") {
  auto lab = test::seed_lab();
  PacketSpec ping;
  ping.src = *parse_ipv4("10.1.1.2");
  ping.dst = *parse_ipv4("10.2.1.2");
  ping.src_port = 7;
  // Twice: the first is held for IKE and goes again; the second rides the sessions and the SAs.
  for (int round = 0; round < 2; ++round) {
    const Lab::TraceResult t = lab->trace("pc1", ping);
    INFO(Lab::format_trace_text(t));
    REQUIRE(t.legs.size() == (round == 0 ? 3U : 2U));
    std::set<MatchedKind> seen;
    for (const Lab::Leg& leg : t.legs) {
      INFO(leg.disposition);
      CHECK(agrees(leg));
      for (const Lab::Hop& hop : leg.hops) {
        Device& device = *lab->device(hop.node);
        const Trace& tr = hop.trace;
        REQUIRE(tr.headers.parsed);
        // The prose line starts with the protocol and the addresses the twin holds.
        CHECK(tr.packet.rfind(config::protocol_name(tr.headers.info.protocol) + " " +
                                  to_string(tr.headers.info.src),
                              0) == 0);
        CHECK(tr.result.leaving == headers_line(tr.result.leaving_headers));
        CHECK(tr.result.leaving_headers.parsed == (tr.result.action == Action::Forward));
        for (const TraceStep& s : tr.steps) {
          check_matched_object(s, tr.result, device);
          seen.insert(s.matched_kind);
        }
      }
    }
    if (round == 0) {
      CHECK(t.legs[0].outcome == Lab::LegOutcome::Held);
      CHECK(t.legs[0].at == "fw1");
      CHECK(t.legs[0].stage == StageId::Ipsec);
      CHECK(t.legs[1].outcome == Lab::LegOutcome::Delivered);
      CHECK(t.legs[1].at == "pc2");
      // fw1 sends ESP: its hop's leaving headers are the tunnel's outer header.
      const Trace& fw1 = t.legs[1].hops.front().trace;
      CHECK(fw1.headers.info.protocol == ipproto::kIcmp);
      CHECK(fw1.result.leaving_headers.info.protocol == ipproto::kEsp);
      CHECK(to_string(fw1.result.leaving_headers.info.src) == "1.1.1.1");
      for (MatchedKind k :
           {MatchedKind::SecurityPolicyRule, MatchedKind::NatPolicyRule, MatchedKind::Route,
            MatchedKind::IpsecPolicy, MatchedKind::IpsecSa, MatchedKind::Interface})
        CHECK(seen.count(k) == 1);
    } else {
      CHECK(seen.count(MatchedKind::Session) == 1);
    }

    // The JSON says the same as the structures.
    const auto j = nlohmann::json::parse(Lab::format_trace_json(t));
    CHECK(j["version"] == kTraceJsonVersion);
    const auto& first = j["legs"][0];
    CHECK(first["outcome"] == Lab::leg_outcome_id(t.legs[0].outcome));
    const auto& fw1 = first["hops"][0]["trace"];
    CHECK(fw1["headers"]["source"] == "10.1.1.2");
    CHECK(fw1["headers"]["icmp"]["identifier"] == 7);
    CHECK(fw1["headers"]["source_port"].is_null());
    for (const auto& step : fw1["steps"]) {
      if (step["stage"] == "security-policy") {
        CHECK(step["detail"]["matched_object"]["kind"] == "security-policy-rule");
      }
      if (step["stage"] == "ingress") CHECK(step["detail"]["matched_object"].is_null());
    }
  }
}

TEST_CASE("a TCP packet's headers twin: ports, flags, fragment fields, and null for a bad packet",
          "[trace][json]") {
  auto lab = test::seed_lab();
  Device& fw1 = *lab->device("fw1");
  PacketSpec syn;
  syn.protocol = ipproto::kTcp;
  syn.src = *parse_ipv4("10.1.1.2");
  syn.dst = *parse_ipv4("8.8.8.8");
  syn.src_port = 40000;
  syn.dst_port = 443;
  syn.tcp_flags = tcpflag::kSyn;
  syn.dont_fragment = true;
  std::vector<uint8_t> bytes = build_packet(syn);
  Trace t;
  fw1.receive(bytes, "GigabitEthernet0/0/1", &t, nullptr);
  const auto j = nlohmann::json::parse(format_trace_json(t));
  const auto& h = j["headers"];
  CHECK(h["protocol"] == "tcp");
  CHECK(h["protocol_number"] == 6);
  CHECK(h["source_port"] == 40000);
  CHECK(h["destination_port"] == 443);
  CHECK(h["tcp_flags"] == nlohmann::json::array({"SYN"}));
  CHECK(h["icmp"].is_null());
  CHECK(h["dont_fragment"] == true);
  CHECK(h["fragment"].is_null());
  CHECK(h["length"] == bytes.size());

  // A fragment's fields: the first carries the ports, a later one only its offset.
  PacketSpec big = syn;
  big.protocol = ipproto::kUdp;
  big.dst_port = 53;
  big.total_length = 3000;
  big.dont_fragment = false;
  big.ip_id = 4321;
  const std::vector<uint8_t> whole = build_packet(big);
  PacketInfo info;
  REQUIRE(parse_ipv4(whole, info) == DropReason::None);
  auto pieces = fragment_ipv4(whole.data(), info, 1500);
  REQUIRE(pieces.size() == 3);
  Trace first_trace;
  Trace second_trace;
  fw1.receive(pieces[0], "GigabitEthernet0/0/1", &first_trace, nullptr);
  fw1.receive(pieces[1], "GigabitEthernet0/0/1", &second_trace, nullptr);
  const auto f1 = nlohmann::json::parse(format_trace_json(first_trace))["headers"];
  const auto f2 = nlohmann::json::parse(format_trace_json(second_trace))["headers"];
  CHECK(f1["fragment"] ==
        nlohmann::json{{"identification", 4321}, {"offset", 0}, {"more_fragments", true}});
  CHECK(f1["destination_port"] == 53);
  CHECK(f2["fragment"]["offset"] == 1480);
  CHECK(f2["destination_port"].is_null());

  // A packet whose header does not parse has no headers; the ingress step says why.
  std::vector<uint8_t> bad = build_packet(syn);
  bad[0] = 0x46;  // IHL 6 with no option bytes behind it
  Trace broken;
  CHECK(fw1.receive(bad, "GigabitEthernet0/0/1", &broken, nullptr) == Action::Drop);
  const auto b = nlohmann::json::parse(format_trace_json(broken));
  CHECK(b["headers"].is_null());
  CHECK(b["result"]["drop_reason"].is_string());
  CHECK(b["result"]["leaving_headers"].is_null());
}

}  // namespace vfw
