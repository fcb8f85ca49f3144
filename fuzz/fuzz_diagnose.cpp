// vfw diagnose on arbitrary pairs of configurations: the input is this side's file, then a line
// "#peer", then the peer's. Whatever loads is diagnosed for the seed's flow (with and without
// the peer), traced, forecast and negotiated in memory; nothing crashes, and the forecast's
// verdict is a real one.
#include <cstdint>
#include <string_view>

#include "diagnose/diagnosis.hpp"
#include "fuzz_common.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::leave_the_source_tree();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t split = text.find("\n#peer\n");
  cli::LoadResult local = cli::load_config_text(text.substr(0, split), "fw1.cfg");
  if (!local.ok()) return 0;
  const diagnose::DiagnoseOptions flow{"10.1.1.2", "10.2.1.2", "icmp", -1, {}};
  if (auto d = diagnose::diagnose(local.config, nullptr, flow)) {
    (void)diagnose::format_diagnosis_json(*d);
  }
  if (split == std::string_view::npos) return 0;
  cli::LoadResult peer = cli::load_config_text(text.substr(split + 7), "fw3.cfg");
  if (!peer.ok()) return 0;
  if (auto d = diagnose::diagnose(local.config, &peer.config, flow)) {
    (void)diagnose::format_diagnosis_text(*d);
  }
  return 0;
}
