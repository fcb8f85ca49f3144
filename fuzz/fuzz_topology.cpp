// A lab's topology file, arbitrary text: it is read or refused with errors that name the file,
// line and field; whatever reads as a topology is made into a lab from the seed's configuration
// files (nodes and links as the text says); nothing crashes.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "lab/lab.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::leave_the_source_tree();
  const std::string text(reinterpret_cast<const char*>(data), size);
  lab::TopologyResult t =
      lab::parse_topology(text, "fuzz.clab.yml", VFW_SOURCE_DIR "/examples/seed-lab");
  for (const auto& e : t.errors) (void)e.format();
  if (!t.ok() || t.topology.nodes.size() > 8) return 0;
  std::vector<std::string> errors;
  auto lab = lab::Lab::create(t.topology, errors);
  if (lab == nullptr) return 0;
  for (const auto& name : lab->node_names()) {
    if (lab->host(name) != nullptr) (void)lab->ping(name, *parse_ipv4("10.2.1.2"), 1);
  }
  return 0;
}
