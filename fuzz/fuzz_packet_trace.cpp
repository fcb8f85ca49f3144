// packet-trace's arguments, as the CLI and `vfw packet-trace` hand them over: every string and
// number taken from the input. Each run traces or refuses with a reason; nothing crashes.
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "device/packet_trace.hpp"
#include "fuzz_common.hpp"

using namespace vfw;

namespace {

// The input read as fields: NUL-separated strings, then four 32-bit numbers.
struct Reader {
  const uint8_t* data;
  size_t size;
  std::string text() {
    size_t n = 0;
    while (n < size && data[n] != 0) ++n;
    std::string s(reinterpret_cast<const char*>(data), n);
    const size_t used = n < size ? n + 1 : n;
    data += used;
    size -= used;
    return s;
  }
  int number() {
    int32_t v = 0;
    const size_t n = size < 4 ? size : 4;
    std::memcpy(&v, data, n);
    data += n;
    size -= n;
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const config::Config start = fuzz::example("nat-lab.cfg");
  Device device(start, 1024);  // a small session table: a fresh device per input
  Reader in{data, size};
  PacketTraceOptions o;
  o.input = in.text();
  o.protocol = in.text();
  o.source = in.text();
  o.destination = in.text();
  o.source_port = in.number();
  o.destination_port = in.number();
  o.icmp_type = in.number();
  o.size = in.number() % 70000;
  const int flags = in.number();
  o.dont_fragment = (flags & 1) != 0;
  o.json = (flags & 2) != 0;
  o.reverse = (flags & 4) != 0;
  o.repeat = 1 + ((flags >> 3) & 3);
  std::ostringstream out;
  const Status traced = run_packet_trace(device, o, out);
  if (!traced && traced.error().message.empty()) std::abort();  // a refusal always says why
  return 0;
}
