// What the fuzz harnesses share: a device loaded from one of the examples, built once, and a
// working directory of their own (nothing a harness runs may write into the source tree).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/config_loader.hpp"
#include "device/device.hpp"

namespace vfw::fuzz {

inline config::Config example(const char* name) {
  cli::LoadResult r = cli::load_config_file(std::string(VFW_SOURCE_DIR) + "/examples/" + name);
  if (!r.ok()) {
    std::fprintf(stderr, "fuzz: cannot load examples/%s\n", name);
    std::abort();
  }
  return r.config;
}

inline void leave_the_source_tree() {
  static bool done = false;
  if (done) return;
  done = true;
  char dir[] = "/tmp/vfw-fuzz-XXXXXX";
  if (mkdtemp(dir) == nullptr || chdir(dir) != 0) std::abort();
}

}  // namespace vfw::fuzz
