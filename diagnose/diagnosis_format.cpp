// The diagnosis as text for people (one block per item, failures in capitals so that they stand
// out in a long list) and as JSON for scripts.
#include <nlohmann/json.hpp>

#include <sstream>

#include "diagnose/diagnosis.hpp"
#include "pipeline/trace.hpp"

namespace vfw::diagnose {

std::string format_diagnosis_text(const Diagnosis& d) {
  std::ostringstream o;
  o << "Diagnosis of " << d.traffic << " and its reply\n";
  size_t counts[kItemStatusIds.size()] = {};
  for (const auto& f : d.findings) {
    ++counts[static_cast<size_t>(f.verdict)];
    std::string verdict(verdict_name(f.verdict));
    if (f.verdict == ItemStatus::Failed) verdict = "FAILED";
    o << "\n[" << verdict << "] " << f.item.text()
      << (f.device.empty() ? "" : " (" + f.device + ")") << ": " << f.title << "\n";
    for (const auto& e : f.evidence) o << "    " << e << "\n";
    if (!f.check.empty()) o << "    check: " << f.check << "\n";
    if (!f.fix.empty()) {
      o << "    fix" << (f.device.empty() ? "" : " on " + f.device)
        << (f.proof.verified ? " (verified)" : "") << ":\n";
      for (const auto& line : f.fix) o << "      " << line << "\n";
    }
    for (const auto& r : f.proof.ran) o << "    verified: " << r << "\n";
    for (const auto& r : f.proof.rejected) o << "    not printed: " << r << "\n";
  }
  o << "\n"
    << counts[static_cast<size_t>(ItemStatus::Failed)] << " failed, "
    << counts[static_cast<size_t>(ItemStatus::Passed)] << " passed, ";
  if (const size_t w = counts[static_cast<size_t>(ItemStatus::Warning)]; w != 0)
    o << w << (w == 1 ? " warning, " : " warnings, ");
  o << counts[static_cast<size_t>(ItemStatus::NotReached)] << " not reached, "
    << counts[static_cast<size_t>(ItemStatus::NotDecidable)] << " not decidable from the "
    << "configurations\n";
  return o.str();
}

// docs/diagnose.md's JSON (docs/schemas/diagnose.schema.json).
std::string format_diagnosis_json(const Diagnosis& d) {
  using Json = nlohmann::ordered_json;
  Json findings = Json::array();
  for (const Finding& f : d.findings) {
    findings.push_back(Json{{"item", f.item.text()},
                            {"title", f.title},
                            {"device", f.device},
                            {"verdict", verdict_name(f.verdict)},
                            {"evidence", f.evidence},
                            {"fix", f.fix},
                            {"check", f.check},
                            {"proof", Json{{"verified", f.proof.verified},
                                           {"ran", f.proof.ran},
                                           {"rejected", f.proof.rejected}}}});
  }
  return json_text(Json{{"version", kDiagnosisJsonVersion},
                        {"traffic", d.traffic},
                        {"failed", d.failed()},
                        {"findings", std::move(findings)}});
}

}  // namespace vfw::diagnose
