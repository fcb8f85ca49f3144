// vfw export nft: the configuration as an nftables ruleset (nft/), printed as `nft -f` text or
// applied to the kernel in one netlink batch (docs/nftables.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/model.hpp"

namespace vfw {

struct ExportNftOptions {
  std::string output;                                      // "" : standard output (unless applying)
  std::vector<std::pair<std::string, std::string>> binds;  // device interface -> Linux name
  bool apply = false;
  std::string netns;
};

// The table's text to the output (exactly what `nft list table ip vfw` prints once applied);
// what nftables cannot express and the routes to standard error, as `#` lines. 0 done, 1 the
// kernel refused the batch (the previous table is untouched) or the output could not be written.
int export_nft(const config::Config& config, const ExportNftOptions& options);

}  // namespace vfw
