// display commands (valid in every view). The display commands of the IPSec and CLI issues join
// this file's siblings; each prints in the device's format (docs/display-formats.md).
#include <cstdio>

#include "cli/command_helpers.hpp"
#include "config/render.hpp"
#include "device/device.hpp"

namespace vfw::cli {

void register_display_commands(CommandEngine& e) {
  CommandTree& t = e.tree(View::Global);
  t.add("display current-configuration", [](CommandContext& c, const Args&) -> Result {
    c.out() += config::render_current_configuration(c.config());
    return kOk;
  });
  t.add("display firewall statistics system discard", [](CommandContext& c, const Args&) -> Result {
    Device* d = c.device();
    if (d == nullptr) return "Error: No device is running.";
    c.out() += "Discard statistic information:\n";
    const DropCounters& drops = d->runtime().drops;
    for (size_t i = 1; i < kDropReasonCount; ++i) {
      if (drops.count[i] == 0) continue;
      std::string label = "  " + std::string(kDropReasonLabels[i]) + " packets discarded:";
      char line[128];
      std::snprintf(line, sizeof line, "%-60s%llu\n", label.c_str(),
                    static_cast<unsigned long long>(drops.count[i]));
      c.out() += line;
    }
    return kOk;
  });
}

}  // namespace vfw::cli
