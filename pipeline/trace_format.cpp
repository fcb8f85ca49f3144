#include <sstream>

#include "pipeline/trace.hpp"

namespace vfw {
namespace {

// The length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the bytes there are not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

// A JSON string whatever the bytes: control characters escaped, and a byte that is not part of
// valid UTF-8 (a GBK name of a real configuration, say) written as U+FFFD, so that the output is
// always valid JSON.
void json_string(std::ostream& o, std::string_view s) {
  o << '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (const size_t n = utf8_sequence(s, i); n != 0) {
        o << s.substr(i, n);
        i += n - 1;
      } else {
        o << "\\ufffd";
      }
      continue;
    }
    switch (c) {
      case '"':
        o << "\\\"";
        break;
      case '\\':
        o << "\\\\";
        break;
      case '\n':
        o << "\\n";
        break;
      case '\t':
        o << "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          constexpr char kHex[] = "0123456789abcdef";
          o << "\\u00" << kHex[(c >> 4) & 0xf] << kHex[c & 0xf];
        } else {
          o << c;
        }
    }
  }
  o << '"';
}

void json_strings(std::ostream& o, const std::vector<std::string>& list) {
  o << "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i != 0) o << ",";
    json_string(o, list[i]);
  }
  o << "]";
}

namespace {

void json_warnings(std::ostream& o, const std::vector<TraceWarning>& warnings) {
  o << "[";
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i != 0) o << ",";
    o << "{\"message\":";
    json_string(o, warnings[i].message);
    o << ",\"fix\":";
    json_strings(o, warnings[i].fix);
    o << "}";
  }
  o << "]";
}

}  // namespace

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
    }
  }
  o << "\nResult:\n";
  o << "  Input interface:  " << (t.result.input.empty() ? "-" : t.result.input) << "\n";
  o << "  Output interface: " << (t.result.output.empty() ? "-" : t.result.output) << "\n";
  if (!t.result.leaving.empty()) o << "  Leaves as:        " << t.result.leaving << "\n";
  o << "  Action:           " << action_name(t.result.action) << "\n";
  for (const auto& w : t.result.warnings) o << "  Warning:          " << w.message << "\n";
  o << "  Drop reason:      "
    << (t.result.drop == DropReason::None ? std::string_view("-") : drop_reason_id(t.result.drop))
    << "\n";
  return o.str();
}

std::string format_trace_json(const Trace& t) {
  std::ostringstream o;
  o << "{\"device\":";
  json_string(o, t.device);
  o << ",\"packet\":";
  json_string(o, t.packet);
  o << ",\"steps\":[";
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const TraceStep& s = t.steps[i];
    if (i != 0) o << ",";
    o << "{\"stage\":";
    json_string(o, stage_id(s.stage));
    o << ",\"result\":";
    json_string(o, outcome_id(s.result));
    o << ",\"detail\":{\"matched\":";
    json_string(o, s.matched);
    o << ",\"changes\":[";
    for (size_t j = 0; j < s.changes.size(); ++j) {
      if (j != 0) o << ",";
      o << "{\"field\":";
      json_string(o, s.changes[j].field);
      o << ",\"before\":";
      json_string(o, s.changes[j].before);
      o << ",\"after\":";
      json_string(o, s.changes[j].after);
      o << "}";
    }
    o << "],\"info\":";
    json_strings(o, s.info);
    o << ",\"drop_reason\":";
    if (s.drop == DropReason::None) {
      o << "null";
    } else {
      json_string(o, drop_reason_id(s.drop));
    }
    o << ",\"warnings\":";
    json_warnings(o, s.warnings);
    o << "}}";
  }
  o << "],\"result\":{\"action\":";
  json_string(o, action_name(t.result.action));
  o << ",\"input\":";
  json_string(o, t.result.input);
  o << ",\"output\":";
  json_string(o, t.result.output);
  o << ",\"leaving\":";
  if (t.result.leaving.empty()) {
    o << "null";
  } else {
    json_string(o, t.result.leaving);
  }
  o << ",\"drop_reason\":";
  if (t.result.drop == DropReason::None) {
    o << "null";
  } else {
    json_string(o, drop_reason_id(t.result.drop));
  }
  o << ",\"warnings\":";
  json_warnings(o, t.result.warnings);
  o << "}}\n";
  return o.str();
}

}  // namespace vfw
