// The diagnosis as text for people (one block per item, failures in capitals so that they stand
// out in a long list) and as JSON for scripts.
#include <sstream>

#include "diagnose/diagnosis.hpp"
#include "pipeline/trace.hpp"

namespace vfw::diagnose {

std::string format_diagnosis_text(const Diagnosis& d) {
  std::ostringstream o;
  o << "Diagnosis of " << d.traffic << " and its reply\n";
  size_t counts[4] = {0, 0, 0, 0};
  for (const auto& f : d.findings) {
    ++counts[static_cast<size_t>(f.verdict)];
    std::string verdict(verdict_name(f.verdict));
    if (f.verdict == ItemStatus::Failed) verdict = "FAILED";
    o << "\n[" << verdict << "] " << f.item.text()
      << (f.device.empty() ? "" : " (" + f.device + ")") << ": " << f.title << "\n";
    for (const auto& e : f.evidence) o << "    " << e << "\n";
    if (!f.check.empty()) o << "    check: " << f.check << "\n";
    if (!f.fix.empty()) {
      o << "    fix" << (f.device.empty() ? "" : " on " + f.device) << ":\n";
      for (const auto& line : f.fix) o << "      " << line << "\n";
    }
  }
  o << "\n"
    << counts[static_cast<size_t>(ItemStatus::Failed)] << " failed, "
    << counts[static_cast<size_t>(ItemStatus::Passed)] << " passed, "
    << counts[static_cast<size_t>(ItemStatus::NotReached)] << " not reached, "
    << counts[static_cast<size_t>(ItemStatus::NotDecidable)] << " not decidable from the "
    << "configurations\n";
  return o.str();
}

std::string format_diagnosis_json(const Diagnosis& d) {
  std::ostringstream o;

  o << "{\"traffic\":";
  json_string(o, d.traffic);
  o << ",\"failed\":" << (d.failed() ? "true" : "false") << ",\"findings\":[";
  for (size_t i = 0; i < d.findings.size(); ++i) {
    const Finding& f = d.findings[i];
    if (i != 0) o << ",";
    o << "{\"item\":";
    json_string(o, f.item.text());
    o << ",\"title\":";
    json_string(o, f.title);
    o << ",\"device\":";
    json_string(o, f.device);
    o << ",\"verdict\":";
    json_string(o, verdict_name(f.verdict));
    o << ",\"evidence\":";
    json_strings(o, f.evidence);
    o << ",\"fix\":";
    json_strings(o, f.fix);
    o << ",\"check\":";
    json_string(o, f.check);
    o << "}";
  }
  o << "]}\n";
  return o.str();
}

}  // namespace vfw::diagnose
