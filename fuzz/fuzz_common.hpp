// What the fuzz harnesses share: a device loaded from one of the examples (or from an example's
// text changed for the harness), built once, and a working directory of their own (nothing a
// harness runs may write into the source tree).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/config_loader.hpp"
#include "device/device.hpp"
#include "device/ike_link.hpp"

namespace vfw::fuzz {

[[noreturn]] inline void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz: %s\n", why.c_str());
  std::abort();
}

inline config::Config load(const std::string& text, const std::string& name) {
  cli::LoadResult r = cli::load_config_text(text, name);
  if (!r.ok()) fail("cannot load " + name + ": " + r.errors.front().format());
  return r.config;
}

inline std::string example_text(const char* name) {
  std::ifstream in(std::string(VFW_SOURCE_DIR) + "/examples/" + name, std::ios::binary);
  if (!in) fail(std::string("cannot read examples/") + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline config::Config example(const char* name) {
  return load(example_text(name), std::string("examples/") + name);
}

// Edits of an example's text; each must find what it changes, so that an example edited later
// fails the harness loudly instead of fuzzing a device other than the one described.
inline void replace(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) fail("the example has no \"" + from + "\"");
  text.replace(at, from.size(), to);
}

inline void remove_line(std::string& text, const std::string& containing) {
  const size_t at = text.find(containing);
  if (at == std::string::npos) fail("the example has no \"" + containing + "\"");
  const size_t start = text.rfind('\n', at) + 1;
  const size_t end = text.find('\n', at);
  text.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
}

// VFW_FUZZ_SHOW=1 prints each input's trace: what a reproduced input (fuzz_x FILE) did.
inline void show(const Trace& trace) {
  static const bool enabled = std::getenv("VFW_FUZZ_SHOW") != nullptr;
  if (enabled) std::fputs(format_trace_text(trace).c_str(), stderr);
}

// The IKE engine configuration of an example with an IKE policy; IKEv1 only when v1_only (its
// peers' version 2 off, as `undo version 2` does).
inline ike::EngineConfig ike_config(const char* name, bool v1_only) {
  std::vector<std::string> problems;
  ike::EngineConfig c = ike_engine_config(example(name), problems);
  if (!problems.empty() || c.children.empty()) fail(std::string(name) + ": no IKE policy");
  if (v1_only) {
    for (auto& peer : c.peers) peer.version2 = false;
  }
  return c;
}

inline void leave_the_source_tree() {
  static bool done = false;
  if (done) return;
  done = true;
  char dir[] = "/tmp/vfw-fuzz-XXXXXX";
  if (mkdtemp(dir) == nullptr || chdir(dir) != 0) std::abort();
}

}  // namespace vfw::fuzz
