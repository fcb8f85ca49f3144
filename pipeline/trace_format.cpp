#include <nlohmann/json.hpp>

#include <sstream>

#include "config/services.hpp"
#include "pipeline/trace.hpp"

namespace vfw {

TraceHeaders trace_headers(std::span<const uint8_t> ip) {
  TraceHeaders h;
  h.parsed = parse_ipv4(ip, h.info) == DropReason::None;
  if (!h.parsed) h.info = PacketInfo{};
  return h;
}

std::string headers_line(const TraceHeaders& h) {
  if (!h.parsed) return "";
  const PacketInfo& info = h.info;
  const std::string text = config::protocol_name(info.protocol) + " ";
  if (info.protocol == ipproto::kIcmp && info.has_l4) {
    return text + to_string(info.src) + " -> " + to_string(info.dst) + " type " +
           std::to_string(info.icmp_type) + " code " + std::to_string(info.icmp_code) + " id " +
           std::to_string(info.src_port);
  }
  if ((info.protocol == ipproto::kTcp || info.protocol == ipproto::kUdp) && info.has_l4) {
    return text + to_string(info.src) + ":" + std::to_string(info.src_port) + " -> " +
           to_string(info.dst) + ":" + std::to_string(info.dst_port);
  }
  return text + to_string(info.src) + " -> " + to_string(info.dst);
}

namespace {

// docs/packet-trace.md, "headers": every field present, null where the packet has none.
nlohmann::ordered_json headers_json(const TraceHeaders& h) {
  using Json = nlohmann::ordered_json;
  if (!h.parsed) return nullptr;
  const PacketInfo& i = h.info;
  const bool ports = i.has_l4 && (i.protocol == ipproto::kTcp || i.protocol == ipproto::kUdp);
  Json fragment = nullptr;
  if (i.is_fragment()) {
    fragment = Json{{"identification", i.ip_id},
                    {"offset", i.fragment_offset},
                    {"more_fragments", i.more_fragments}};
  }
  Json icmp = nullptr;
  if (i.protocol == ipproto::kIcmp && i.has_l4) {
    icmp = Json{{"type", i.icmp_type},
                {"code", i.icmp_code},
                {"identifier", is_icmp_query(i.icmp_type) ? Json(i.src_port) : Json(nullptr)}};
  }
  Json flags = nullptr;
  if (i.protocol == ipproto::kTcp && i.has_l4) {
    flags = Json::array();
    // In the order tcpdump and Wireshark print them.
    constexpr std::pair<uint8_t, const char*> kFlags[] = {{tcpflag::kFin, "FIN"},
                                                          {tcpflag::kSyn, "SYN"},
                                                          {tcpflag::kRst, "RST"},
                                                          {tcpflag::kPsh, "PSH"},
                                                          {tcpflag::kAck, "ACK"}};
    for (const auto& [bit, name] : kFlags) {
      if ((i.tcp_flags & bit) != 0) flags.push_back(name);
    }
  }
  return Json{{"protocol", config::protocol_name(i.protocol)},
              {"protocol_number", i.protocol},
              {"source", to_string(i.src)},
              {"destination", to_string(i.dst)},
              {"source_port", ports ? Json(i.src_port) : Json(nullptr)},
              {"destination_port", ports ? Json(i.dst_port) : Json(nullptr)},
              {"icmp", std::move(icmp)},
              {"tcp_flags", std::move(flags)},
              {"length", i.total_length},
              {"ttl", i.ttl},
              {"dont_fragment", i.dont_fragment},
              {"fragment", std::move(fragment)}};
}

}  // namespace

std::string step_summary(const TraceStep& s) {
  std::string line = "stage " + std::to_string(s.number) + " " + std::string(stage_id(s.stage)) +
                     ": " + std::string(outcome_id(s.result));
  if (!s.matched.empty()) line += ", " + s.matched;
  return line;
}

std::string format_trace_text(const Trace& t) {
  std::ostringstream o;
  o << "Device: " << t.device << "\n";
  o << "Packet: " << t.packet << "\n";
  for (const auto& s : t.steps) {
    o << "\nStage " << s.number << ": " << stage_id(s.stage) << "\n";
    o << "  Result:  " << outcome_id(s.result) << "\n";
    if (!s.matched.empty()) o << "  Matched: " << s.matched << "\n";
    for (const auto& c : s.changes)
      o << "  Change:  " << c.field << " " << c.before << " -> " << c.after << "\n";
    for (const auto& i : s.info) o << "  Info:    " << i << "\n";
    if (s.drop != DropReason::None) o << "  Drop:    " << drop_reason_id(s.drop) << "\n";
    for (const auto& w : s.warnings) {
      o << "  Warning: " << w.message << "\n";
      for (size_t k = 0; k < w.fix.size(); ++k)
        o << (k == 0 ? "  Fix:     " : "           ") << w.fix[k] << "\n";
      if (!w.proof.empty()) o << (w.fix.empty() ? "  No fix:  " : "  Proven:  ") << w.proof << "\n";
    }
  }
  o << "\nResult:\n";
  o << "  Input interface:  " << (t.result.input.empty() ? "-" : t.result.input) << "\n";
  o << "  Output interface: " << (t.result.output.empty() ? "-" : t.result.output) << "\n";
  if (!t.result.leaving.empty()) o << "  Leaves as:        " << t.result.leaving << "\n";
  // A packet held for IKE is not lost: it says so, and what it waits for.
  o << "  Action:           "
    << (t.result.held ? std::string_view("held (sent through the tunnel once IKE brings it up)")
                      : action_name(t.result.action))
    << "\n";
  for (const auto& w : t.result.warnings) o << "  Warning:          " << w.message << "\n";
  o << (t.result.held ? "  Held for:         " : "  Drop reason:      ")
    << (t.result.drop == DropReason::None ? std::string_view("-") : drop_reason_id(t.result.drop))
    << "\n";
  return o.str();
}

// The compact JSON of docs/packet-trace.md (docs/schemas/packet-trace.schema.json): keys in the
// documented order, bytes that are not UTF-8 (a GBK name of a real configuration) as U+FFFD.
nlohmann::ordered_json trace_json(const Trace& t) {
  using Json = nlohmann::ordered_json;
  auto warnings = [](const std::vector<TraceWarning>& list) {
    Json out = Json::array();
    for (const auto& w : list) {
      out.push_back(Json{{"message", w.message},
                         {"fix", w.fix},
                         {"proof", w.proof.empty() ? Json(nullptr) : Json(w.proof)}});
    }
    return out;
  };
  auto reason = [](DropReason r) {
    return r == DropReason::None ? Json(nullptr) : Json(drop_reason_id(r));
  };
  Json steps = Json::array();
  for (const TraceStep& s : t.steps) {
    Json changes = Json::array();
    for (const auto& c : s.changes)
      changes.push_back(Json{{"field", c.field}, {"before", c.before}, {"after", c.after}});
    steps.push_back(Json{{"stage", stage_id(s.stage)},
                         {"result", outcome_id(s.result)},
                         {"detail",
                          {{"matched", s.matched},
                           {"matched_object", s.matched_kind == MatchedKind::None
                                                  ? Json(nullptr)
                                                  : Json{{"kind", matched_kind_id(s.matched_kind)},
                                                         {"name", s.matched_name}}},
                           {"changes", std::move(changes)},
                           {"info", s.info},
                           {"drop_reason", reason(s.drop)},
                           {"warnings", warnings(s.warnings)}}}});
  }
  return Json{{"version", kTraceJsonVersion},
              {"device", t.device},
              {"packet", t.packet},
              {"headers", headers_json(t.headers)},
              {"steps", std::move(steps)},
              {"result",
               {{"action", action_name(t.result.action)},
                {"input", t.result.input},
                {"output", t.result.output},
                {"leaving", t.result.leaving.empty() ? Json(nullptr) : Json(t.result.leaving)},
                {"leaving_headers", headers_json(t.result.leaving_headers)},
                {"held", t.result.held},
                {"drop_reason", reason(t.result.drop)},
                {"warnings", warnings(t.result.warnings)}}}};
}

std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string format_trace_json(const Trace& t) {
  return json_text(trace_json(t));
}

}  // namespace vfw
