// Hostile or careless input (issue 8): each case crashed, hung or leaked before its fix.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli_session.hpp"
#include "cli/line_runner.hpp"
#include "config/render.hpp"
#include "device/packet_trace.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("display filters run in linear time on long lines and pathological patterns",
          "[hostile][cli]") {
  // A 50,000-character line (kept verbatim in an unemulated block) overflowed std::regex's
  // stack with `B*$`; `(.*)*x` never returned.
  const std::string long_line(50000, 'B');
  Device d(load_text("#\naaa\n " + long_line + "\n#\nreturn\n"));
  LineRunner r(d);
  const auto start = std::chrono::steady_clock::now();
  LineOutput hit = r.run("display current-configuration | include B*$", 0);
  REQUIRE(hit.ok);
  CHECK(hit.out.find(long_line) != std::string::npos);
  LineOutput none = r.run("display current-configuration | include (.*)*x", 0);
  REQUIRE(none.ok);
  CHECK(none.out.empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  // A pattern longer than the device's 255 characters, or not a pattern, gets the caret error.
  CHECK(r.run("display current-configuration | include " + std::string(300, 'a'), 0)
            .err.find("Wrong parameter") != std::string::npos);
  CHECK(r.run("display current-configuration | include (", 0).err.find("Wrong parameter") !=
        std::string::npos);
}

TEST_CASE("names and descriptions take the device's lengths and no control characters",
          "[hostile][cli]") {
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  REQUIRE(r.run("interface GigabitEthernet0/0/1", 0).ok);
  CHECK(r.run("description " + std::string(242, 'x'), 0).ok);
  const LineOutput too_long = r.run("description " + std::string(243, 'x'), 0);
  CHECK_FALSE(too_long.ok);
  CHECK(too_long.err.find("Wrong parameter") != std::string::npos);
  CHECK_FALSE(r.run(std::string("description a\0b", 15), 0).ok);
  REQUIRE(r.run("quit", 0).ok);
  CHECK_FALSE(r.run(std::string("sysname A\x01", 10), 0).ok);
  CHECK(d.config().sysname != std::string("A\x01"));
}

TEST_CASE("packet-trace --json is valid JSON whatever the bytes of the device's names",
          "[hostile][trace]") {
  // A real configuration's sysname or rule names may be GBK, which is not UTF-8.
  Device d(load_example("nat-lab.cfg"));
  d.edit().sysname = "FW\xd6\xd0\xce\xc4";  // GBK
  d.apply();
  PacketTraceOptions o;
  o.input = "g0/0/1";
  o.protocol = "icmp";
  o.source = "10.1.1.2";
  o.destination = "8.8.8.8";
  o.json = true;
  std::ostringstream out;
  REQUIRE(run_packet_trace(d, o, out));
  CHECK(valid_utf8(out.str()));
  // Each byte that is not UTF-8 becomes U+FFFD (EF BF BD), the rest of the name kept.
  const std::string replaced = "\xef\xbf\xbd";
  CHECK(out.str().find("\"device\":\"FW" + replaced + replaced + replaced + replaced + "\"") !=
        std::string::npos);
}

TEST_CASE("files that are not configurations are refused with a clear error", "[hostile][config]") {
  // `vfw check` said OK for a directory, /proc/self/mem and a CR-only file that loaded nothing,
  // and read /dev/zero until memory ran out.
  auto refusal = [](const std::string& path) {
    cli::LoadResult r = cli::load_config_file(path);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 0);
    return r.errors[0].message;
  };
  CHECK(refusal("/tmp") == "Error: It is a directory, not a configuration file.");
  CHECK(refusal("/proc/self/mem").rfind("Error: Cannot read the file", 0) == 0);
  CHECK(refusal("/dev/zero") == "Error: The file is larger than 64 MiB; a configuration is not.");
  CHECK(refusal("/nonexistent/x.cfg").rfind("Error: Cannot open the file", 0) == 0);

  char dir[] = "/tmp/vfw-files-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = std::string(dir) + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  CHECK(refusal(write("empty.cfg", "")) == "Error: The file holds no configuration command.");
  CHECK(refusal(write("binary.cfg", std::string("sysname A\n\0\x01\x02 more\n", 19)))
            .rfind("Error: The file is not text", 0) == 0);
  // CR alone ends lines in old files: read as lines, not one line that loads nothing.
  cli::LoadResult cr = cli::load_config_file(write("cr.cfg", "#\r sysname CRONLY\r#\rreturn\r"));
  REQUIRE(cr.ok());
  CHECK(cr.config.sysname == "CRONLY");
  // A huge line is not echoed whole in its error.
  cli::LoadResult huge =
      cli::load_config_file(write("huge.cfg", "sysname " + std::string(200000, 'x') + "\n"));
  REQUIRE(huge.errors.size() == 1);
  CHECK(huge.errors[0].format().size() < 1000);
  std::filesystem::remove_all(dir);
}

TEST_CASE("save takes configuration file names, keeps the file's mode and a link's target",
          "[hostile][cli]") {
  // `sa x` wrote ./x without a question in script mode; a 0644 file became 0600; a symbolic link
  // was replaced by a plain file.
  char dir[] = "/tmp/vfw-save-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string base = dir;
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  CHECK(r.run("sa " + base + "/x", 0).err.find("must end with .cfg") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(base + "/x"));
  CHECK(r.run("save " + base + "/x.zip", 0).err.find(".zip is not emulated") != std::string::npos);

  const std::string file = base + "/kept.cfg";
  std::ofstream(file) << "old\n";
  REQUIRE(chmod(file.c_str(), 0640) == 0);
  REQUIRE(r.run("save " + file, 0).ok);
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(cli::load_config_file(file).ok());

  const std::string target = base + "/target.cfg";
  const std::string link = base + "/link.cfg";
  std::ofstream(target) << "old\n";
  REQUIRE(symlink(target.c_str(), link.c_str()) == 0);
  REQUIRE(r.run("save " + link, 0).ok);
  REQUIRE(lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(cli::load_config_file(target).ok());
  std::filesystem::remove_all(base);
}

TEST_CASE("a read-only session saves nothing", "[hostile][cli]") {
  char dir[] = "/tmp/vfw-ro-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  r.ctx.read_only = true;
  const std::string path = std::string(dir) + "/x.cfg";
  CHECK(r.run("save " + path, 0).err.find("read-only") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a command line longer than the device's 510 characters is refused, not read whole",
          "[hostile][cli][limits]") {
  Device d(load_example("nat-lab.cfg"));
  // A script whose second line is 20 MB: it is refused without being kept, the lines around it
  // run, and its error shows at most the echo limit.
  std::istringstream in("system-view\nsysname " + std::string(20'000'000, 'x') +
                        "\nsysname AFTER\nsysname " + std::string(510 - 8, 'y') + "\n");
  std::ostringstream out;
  std::ostringstream err;
  CHECK(run_cli(d, in, out, err, {}) == 1);
  const std::string errors = err.str();
  CHECK(errors.find("line 2: sysname xxx") != std::string::npos);
  CHECK(errors.find("(20000008 characters)") != std::string::npos);
  CHECK(errors.find("The command line is too long: 20000008 characters, at most 510") !=
        std::string::npos);
  CHECK(errors.size() < 2000);
  // Line 4 is exactly 510 characters: not too long, refused for the name's length instead.
  CHECK(errors.find("line 4") != std::string::npos);
  CHECK(errors.find("511") == std::string::npos);
  CHECK(d.snapshot().sysname == "AFTER");
  // The interactive path refuses the same lines.
  LineRunner r(d);
  CHECK(r.run("display " + std::string(600, 'z'), 0).err.find("too long") != std::string::npos);
}

TEST_CASE("a flood of new flows beyond the session table leaves established flows alone",
          "[hostile][limits]") {
  Device d(load_example("nat-lab.cfg"), 64);
  REQUIRE(send(d, udp("10.1.1.2", 4000, "8.8.8.8", 53), kLan).action == Action::Forward);
  size_t refused = 0;
  for (uint16_t port = 5000; port < 5500; ++port) {
    const Sent s = send(d, udp("10.1.1.3", port, "8.8.8.8", 53), kLan);
    if (s.action == Action::Drop) {
      CHECK(s.drop() == DropReason::SessionTableFull);
      ++refused;
    }
  }
  CHECK(refused == 500 - 63);
  CHECK(d.runtime().drops[DropReason::SessionTableFull] == refused);
  // The flow established before the flood still passes, on its session.
  const Sent again = send(d, udp("10.1.1.2", 4000, "8.8.8.8", 53), kLan);
  CHECK(again.action == Action::Forward);
  CHECK(again.step(StageId::Session)->result == Outcome::Hit);
}

TEST_CASE("a flood of first fragments that never complete does not break fragmented flows",
          "[hostile][limits]") {
  // The fragment table used to be cleared whole when full: a flood made every datagram's later
  // fragments orphans.
  Device d(load_example("nat-lab.cfg"));
  auto fragment = [](uint16_t sport, uint16_t id, bool first) {
    PacketSpec p = udp("10.1.1.2", sport, "8.8.8.8", 53);
    p.total_length = 100;
    p.ip_id = id;
    auto bytes = build_packet(p);
    store16(&bytes[6], first ? 0x2000 : 10);  // first: MF; later: offset 80, last
    store16(&bytes[10], 0);
    store16(&bytes[10], internet_checksum({bytes.data(), 20}));
    return bytes;
  };
  REQUIRE(send_bytes(d, fragment(4000, 1, true), kLan).action == Action::Forward);
  size_t refused = 0;
  for (uint32_t i = 0; i < Runtime::kMaxFragments + 500; ++i) {
    const Sent s = send_bytes(
        d, fragment(static_cast<uint16_t>(5000 + i % 4), static_cast<uint16_t>(2 + i), true), kLan);
    if (s.action == Action::Drop) {
      CHECK(s.drop() == DropReason::FragmentTableFull);
      ++refused;
    }
  }
  CHECK(refused > 0);
  CHECK(d.runtime().drops[DropReason::FragmentTableFull] == refused);
  // The datagram whose first fragment came before the flood is completed.
  CHECK(send_bytes(d, fragment(4000, 1, false), kLan).action == Action::Forward);
}

TEST_CASE("an exhausted NAT pool is a counted drop, the hosts that have addresses keep them",
          "[hostile][limits]") {
  // nat-lab: hosts 10.1.1.100-110 share the no-pat pool 1.1.1.20-21.
  Device d(load_example("nat-lab.cfg"));
  REQUIRE(send(d, icmp("10.1.1.100", "8.8.8.8", 1), kLan).action == Action::Forward);
  REQUIRE(send(d, icmp("10.1.1.101", "8.8.8.8", 1), kLan).action == Action::Forward);
  const Sent third = send(d, icmp("10.1.1.102", "8.8.8.8", 1), kLan);
  CHECK(third.drop() == DropReason::NatPoolExhausted);
  CHECK(d.runtime().drops[DropReason::NatPoolExhausted] == 1);
  const Sent first_again = send(d, icmp("10.1.1.100", "8.8.8.8", 2), kLan);
  CHECK(first_again.action == Action::Forward);
  LineRunner r(d);
  CHECK(
      r.run("display firewall statistics system discard", 0).out.find("NAT port allocation fail") !=
      std::string::npos);
}

TEST_CASE("keys are never shown, saved or echoed in clear, the cipher form loads back",
          "[hostile][secrets]") {
  const std::string clear = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
  Device fw1(load_example("ipsec-manual-fw1.cfg"));
  LineRunner r(fw1);
  const std::string shown = r.run("display current-configuration", 0).out;
  CHECK(shown.find(clear) == std::string::npos);
  CHECK(shown.find(" sa encryption-hex outbound esp cipher %^%#") != std::string::npos);
  // What was printed loads back to the same keys: the tunnel still works from it.
  cli::LoadResult again = cli::load_config_text(shown, "shown.cfg");
  REQUIRE(again.ok());
  CHECK(config::render_current_configuration(again.config) == shown);
  Device fw1b(again.config);
  Device fw3(load_example("ipsec-manual-fw3.cfg"));
  const Sent out = send(fw1b, icmp("10.1.1.2", "10.2.1.2", 5), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(send_bytes(fw3, out.bytes, "GigabitEthernet0/0/2").action == Action::Forward);

  // Setting a key again replaces it; a wrong key's error does not repeat it, in a script or a
  // file; a cipher text not made by this device's key is refused.
  r.ctx.enter_system();
  REQUIRE(r.run("ipsec policy map1 10 manual", 0).ok);
  REQUIRE(r.run("sa encryption-hex outbound esp " + std::string(64, 'b'), 0).ok);
  const std::string after = r.run("display this", 0).out;
  CHECK(after.find(std::string(64, 'b')) == std::string::npos);
  CHECK(std::count(after.begin(), after.end(), '%') ==
        4 * 4);  // four keys, each between two marks of two '%': none added, none left behind
  CHECK(fw1.config().ipsec_policies.at(0).esp_out.encryption_hex == std::string(64, 'b'));
  std::istringstream script(
      "system-view\nipsec policy map1 10 manual\n"
      "sa encryption-hex outbound esp 0123SECRETzz\n");
  std::ostringstream sout, serr;
  Device scratch(load_example("ipsec-manual-fw1.cfg"));
  run_cli(scratch, script, sout, serr, CliOptions{});
  CHECK(serr.str().find("SECRET") == std::string::npos);
  CHECK(serr.str().find("******") != std::string::npos);
  cli::LoadResult bad = cli::load_config_text(
      "ipsec policy map1 10 manual\n sa encryption-hex outbound esp cipher %^%#Zm9yZ2Vk%^%#\n"
      " sa authentication-hex outbound esp 0123SECRETzz\n",
      "bad.cfg");
  REQUIRE(bad.errors.size() == 2);
  CHECK(bad.errors[0].message.find("not made by this device's key") != std::string::npos);
  for (const auto& e : bad.errors) CHECK(e.format().find("SECRET") == std::string::npos);
}
