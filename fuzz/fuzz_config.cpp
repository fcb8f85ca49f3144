// The configuration loader on arbitrary text: every file is applied whole or refused with
// errors; what loads prints back to text that loads again to the same text, and compiles.
#include <cstdint>
#include <string_view>

#include "config/render.hpp"
#include "fuzz_common.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::leave_the_source_tree();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cli::LoadResult r = cli::load_config_text(text, "fuzz.cfg");
  if (!r.ok()) {
    for (const auto& e : r.errors) (void)e.format();
    return 0;
  }
  const std::string shown = config::render_current_configuration(r.config);
  cli::LoadResult again = cli::load_config_text(shown, "shown.cfg");
  if (!again.ok() || config::render_current_configuration(again.config) != shown) std::abort();
  Device device(r.config, 1024);
  return 0;
}
