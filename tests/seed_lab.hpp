// Test helper: the seed's lab (examples/seed-lab/seed.clab.yml) as `vfw lab` starts it, optionally
// with a change to the file's text (parsed again from the same folder).
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "lab/lab.hpp"

namespace vfw::test {

inline std::unique_ptr<lab::Lab> seed_lab(const std::string& edit_from = "",
                                          const std::string& edit_to = "") {
  const std::string path = std::string(VFW_SOURCE_DIR) + "/examples/seed-lab/seed.clab.yml";
  lab::TopologyResult t = lab::load_topology(path);
  for (const auto& e : t.errors) FAIL(e.format());
  if (!edit_from.empty()) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find(edit_from);
    REQUIRE(at != std::string::npos);
    text.replace(at, edit_from.size(), edit_to);
    t = lab::parse_topology(text, "seed.clab.yml", t.topology.folder);
    for (const auto& e : t.errors) FAIL(e.format());
  }
  std::vector<std::string> errors;
  auto lab = lab::Lab::create(t.topology, errors);
  for (const auto& e : errors) FAIL(e);
  REQUIRE(lab != nullptr);
  return lab;
}

}  // namespace vfw::test
