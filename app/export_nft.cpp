#include "app/export_nft.hpp"

#include <iostream>

#include "cli/atomic_file.hpp"

#include "nft/export.hpp"
#include "nft/netlink.hpp"
#include "nft/text.hpp"

namespace vfw {
int export_nft(const config::Config& config, const ExportNftOptions& options) {
  nft::ExportOptions eo;
  for (const auto& [device, linux_name] : options.binds) eo.linux_names[device] = linux_name;
  const nft::Ruleset rs = nft::export_ruleset(config, eo);
  const std::string text = nft::table_text(rs);
  if (!rs.not_expressed.empty()) {
    std::cerr << "# not expressed in nftables the device's way:\n";
    for (const auto& n : rs.not_expressed) std::cerr << "#   " << n << "\n";
  }
  if (!rs.routes.empty()) {
    std::cerr << "# routes, the kernel's own:\n";
    for (const auto& r : rs.routes) std::cerr << "#   " << r << "\n";
  }
  if (!options.output.empty()) {
    if (const Status written = cli::write_file_atomically(options.output, text); !written) {
      std::cerr << "vfw: cannot write " << options.output << " (" << written.error().message
                << ")\n";
      return 1;
    }
  } else if (!options.apply) {
    std::cout << text;
  }
  if (options.apply) {
    const nft::ApplyResult r = nft::apply(rs, options.netns);
    if (!r.ok) {
      std::cerr << "vfw: " << r.error << "; the previous ruleset is unchanged\n";
      return 1;
    }
    size_t rules = 0;
    for (const auto& c : rs.chains) rules += c.rules.size();
    std::cerr << "Applied table ip " << rs.table << ": " << rs.sets.size() << " sets, "
              << rs.chains.size() << " chains, " << rules << " rules in one netlink batch of "
              << r.messages << " messages, " << r.batch_bytes << " bytes"
              << (options.netns.empty() ? "" : " (netns " + options.netns + ")") << ".\n";
  }
  return 0;
}

}  // namespace vfw
