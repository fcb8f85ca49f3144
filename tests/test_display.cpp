// Every display command against expected text (tests/golden/display-*.txt), on the NAT lab with a
// few flows through it and the clock fixed. The expected files were checked line by line against
// the device samples in shared/reference/display-samples (docs/display-formats.md).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <map>
#include <memory>

#include "app/cli_session.hpp"
#include "cli/line_runner.hpp"
#include "config/render.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

// VFW_UPDATE_GOLDEN=1 rewrites the files from the current output: review the diff before
// committing.
std::string golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(VFW_SOURCE_DIR) + "/tests/golden/" + name;
  if (std::getenv("VFW_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << actual;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A console on the device: one line runner, so the view persists from line to line.
std::map<Device*, std::unique_ptr<LineRunner>> consoles;

std::string show(Device& d, const std::string& command) {
  auto& runner = consoles[&d];
  if (!runner) runner = std::make_unique<LineRunner>(d);
  INFO(command);
  const LineOutput r = runner->run(command, 0);
  INFO(r.err);
  REQUIRE(r.ok);
  return r.out;
}

}  // namespace

TEST_CASE("display commands print the device's layouts", "[display]") {
  consoles.clear();
  Device d(load_example("nat-lab.cfg"));
  setenv("TZ", "UTC", 1);
  tzset();
  d.fix_wall_clock(1746630612750);  // 2025-05-07 15:10:12.750 UTC, the sample's date
  d.set_time(100);
  send(d, icmp("10.1.1.2", "8.8.8.8"), "GigabitEthernet0/0/1");
  send(d, tcp("8.8.8.8", 33000, "1.1.1.3", 80), "GigabitEthernet0/0/2");
  send(d, tcp("10.1.1.100", 40000, "8.8.8.8", 443), "GigabitEthernet0/0/1");
  send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 23), "GigabitEthernet0/0/1");
  d.set_time(105);
  REQUIRE(show(d, "system-view").find("Enter system view") != std::string::npos);
  show(d, "acl 3000");
  show(d, "rule permit ip source 10.1.1.0 0.0.0.255 destination 10.2.1.0 0.0.0.255");
  show(d,
       "rule permit tcp source 10.1.1.0 0.0.0.255 source-port eq 80 destination-port range 1000 "
       "2000");
  show(d, "acl 2000");
  show(d, "rule deny source 192.168.0.0 0.0.255.255");

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"display interface brief", "display-interface-brief.txt"},
      {"display ip interface brief", "display-ip-interface-brief.txt"},
      {"display ip routing-table", "display-ip-routing-table.txt"},
      {"display zone", "display-zone.txt"},
      {"display security-policy rule all", "display-security-policy-rule-all.txt"},
      {"display security-policy rule name web_in", "display-security-policy-rule-name.txt"},
      {"display nat-policy rule all", "display-nat-policy-rule-all.txt"},
      {"display nat-policy rule name pat_lan", "display-nat-policy-rule-name.txt"},
      {"display firewall session table", "display-firewall-session-table.txt"},
      {"display firewall session table verbose", "display-firewall-session-table-verbose.txt"},
      {"display firewall server-map", "display-firewall-server-map.txt"},
      {"display acl all", "display-acl-all.txt"},
      {"display acl 3000", "display-acl-3000.txt"},
      {"display firewall statistics system discard",
       "display-firewall-statistics-system-discard.txt"},
      {"display current-configuration | begin security-policy",
       "display-current-configuration-begin.txt"},
  };
  for (const auto& [command, file] : cases) {
    INFO(command);
    const std::string actual = show(d, command);
    CHECK(actual == golden(file, actual));
  }
}

TEST_CASE("display this shows the object of the current view", "[display]") {
  consoles.clear();
  Device d(load_example("nat-lab.cfg"));
  show(d, "system-view");
  show(d, "interface GigabitEthernet0/0/4");
  CHECK(show(d, "display this") ==
        "#\ninterface GigabitEthernet0/0/4\n description small-MTU link\n ip address 172.16.0.1 "
        "255.255.255.0\n"
        " mtu 1400\n#\nreturn\n");
  show(d, "security-policy");
  show(d, "rule name ssh_in");
  // In a rule view the device prints the rule's body alone (reference/cli-interaction-notes.txt
  // #10).
  CHECK(show(d, "display this") ==
        "  source-zone untrust\n  destination-zone dmz\n  destination-address 192.168.100.40 mask "
        "255.255.255.255\n"
        "  service ssh\n  action permit\n");
  show(d, "firewall zone dmz");
  CHECK(show(d, "dis th") ==
        "#\nfirewall zone dmz\n set priority 50\n add interface GigabitEthernet0/0/3\n add "
        "interface GigabitEthernet0/0/4\n#\nreturn\n");
}

TEST_CASE("display filters keep, drop or start from matching lines", "[display]") {
  consoles.clear();
  Device d(load_example("fw1.cfg"));
  CHECK(show(d, "display current-configuration | include ^ip route") ==
        "ip route-static 0.0.0.0 0.0.0.0 1.1.1.2\n");
  CHECK(show(d, "display zone | exclude priority|interface|^20") ==
        "local\ntrust\n    GigabitEthernet0/0/0\n    GigabitEthernet0/0/1\nuntrust\n    "
        "GigabitEthernet0/0/2\ndmz\n");
  show(d, "system-view");
  LineRunner filtering(d);
  filtering.ctx.enter_system();
  const LineOutput r = filtering.run("sysname X | include Y", 0);
  CHECK_FALSE(r.ok);
  CHECK(r.err == "          ^\nError: Unrecognized command found at '^' position.\n");
}

TEST_CASE("a line ending in ? lists what may come next", "[display]") {
  consoles.clear();
  Device d(load_example("fw1.cfg"));
  show(d, "system-view");
  const std::string help = show(d, "display ip ?");
  CHECK(help.find("  interface") != std::string::npos);
  CHECK(help.find("  routing-table") != std::string::npos);
  const std::string partial = show(d, "ip route-static 10.0.0.0 ?");
  CHECK(partial.find("INTEGER<0-32> or mask") != std::string::npos);
  CHECK(show(d, "sysname FW1 ?") == "  <cr>\n");
  CHECK(show(d, "display zone ?") == "  <cr>\n");
  // "?" at the start of a line lists the current view's commands, not its parents'.
  show(d, "interface GigabitEthernet0/0/1");
  const std::string here = show(d, "?");
  CHECK(here.find("  shutdown") != std::string::npos);
  CHECK(here.find("  sysname") == std::string::npos);
  CHECK(show(d, "ip route-static ?").find("IP address") !=
        std::string::npos);  // a parent's command, deeper
}

TEST_CASE("save writes a file that loads back identically, and asks first", "[cli]") {
  consoles.clear();
  Device d(load_example("nat-lab.cfg"));
  char dir[] = "/tmp/vfw-save-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/saved.cfg";
  show(d, "system-view");
  show(d, "sysname SAVED");
  // The question comes after the message, and the next line answers it.
  const LineOutput asked = consoles[&d]->run("save " + path, 0);
  CHECK(asked.out == "The current configuration will be written to the device.\n");
  CHECK(asked.question == "Are you sure to continue?[Y/N]");
  CHECK(show(d, "y") ==
        "Now saving the current configuration to the slot 0.\n"
        "Save the configuration successfully.\n");
  cli::LoadResult back = cli::load_config_file(path);
  REQUIRE(back.ok());
  CHECK(config::render_current_configuration(back.config) ==
        config::render_current_configuration(d.config()));

  // Answered no, nothing is written.
  show(d, "sysname OTHER");
  show(d, "save " + path);
  CHECK(show(d, "n") == "Info: The configuration was not saved.\n");
  CHECK(cli::load_config_file(path).config.sysname == "SAVED");
  // Anything but Y is no; the line after the answer is a command again.
  show(d, "save " + path);
  CHECK(show(d, "display current-configuration") == "Info: The configuration was not saved.\n");
  CHECK(show(d, "display current-configuration | include sysname") == " sysname OTHER\n");
  CHECK(cli::load_config_file(path).config.sysname == "SAVED");
  std::remove(path.c_str());
  rmdir(dir);
}

TEST_CASE("the packet-trace command traces on the running device", "[cli][trace]") {
  consoles.clear();
  Device d(load_example("fw1-misordered-nat.cfg"));
  const std::string text = show(d,
                                "packet-trace input-interface GigabitEthernet0/0/1 protocol icmp "
                                "source 10.1.1.2 destination 10.2.1.2");
  CHECK(text.find("Stage 9: snat\n  Result:  translated\n") != std::string::npos);
  // The session it created is the device's own: the second trace takes the fast path.
  const std::string again = show(
      d, "packet-trace input-interface g0/0/1 protocol icmp source 10.1.1.2 destination 10.2.1.2");
  CHECK(again.find("Stage 3: session\n  Result:  hit\n") != std::string::npos);
  CHECK(show(d, "display firewall session table")
            .find("10.1.1.2:1[1.1.1.1:2048] --> 10.2.1.2:2048") != std::string::npos);
}

TEST_CASE("display current-configuration by interface and by section, framed as the device does",
          "[display]") {
  consoles.clear();
  Device d(load_example("fw1.cfg"));
  const std::string one = show(d, "display current-configuration interface GigabitEthernet0/0/1");
  CHECK(one.rfind("#\ninterface GigabitEthernet0/0/1\n", 0) == 0);
  CHECK(one.find(" ip address 10.1.1.1 255.255.255.0\n") != std::string::npos);
  CHECK(one.find("GigabitEthernet0/0/2") == std::string::npos);
  CHECK(one.size() >= 9);
  CHECK(one.substr(one.size() - 9) == "#\nreturn\n");
  const std::string all = show(d, "dis cur int");
  CHECK(all.find("interface GigabitEthernet0/0/2\n") != std::string::npos);
  CHECK(all.find("ike peer") == std::string::npos);
  const std::string ike = show(d, "display current-configuration configuration ike peer");
  CHECK(ike.rfind("#\nike peer fw3\n", 0) == 0);
  CHECK(ike.find("interface") == std::string::npos);
  CHECK(show(d, "display current-configuration configuration nosuch").empty());
}

TEST_CASE("display ip routing-table for an address, and the static routes", "[display]") {
  consoles.clear();
  Device d(load_example("fw1.cfg"));
  const std::string lookup = show(d, "display ip routing-table 10.2.1.2");
  CHECK(lookup.find("Routing Table : Public\nSummary Count : 1\n") != std::string::npos);
  CHECK(lookup.find("        0.0.0.0/0   Static  60   0          RD   1.1.1.2         "
                    "GigabitEthernet0/0/2\n") != std::string::npos);
  // The device's own address: the /32 local route.
  CHECK(show(d, "display ip routing-table 10.1.1.1").find("10.1.1.1/32") != std::string::npos);
  const std::string statics = show(d, "display ip routing-table protocol static");
  CHECK(statics.find("Public routing table : Static\n         Destinations : 1        Routes : 1"
                     "        Configured Routes : 1\n") != std::string::npos);
  CHECK(statics.find("Static routing table status : <Inactive>\n         Destinations : 0") !=
        std::string::npos);
}

TEST_CASE("display nat server, cpu-usage and memory-usage", "[display]") {
  consoles.clear();
  Device d(load_example("nat-lab.cfg"));
  const std::string servers = show(d, "display nat server");
  CHECK(servers.rfind("Server in private network information:\n  server name       : web\n", 0) ==
        0);
  CHECK(servers.find("  global-start-addr : 1.1.1.3\n") != std::string::npos);
  CHECK(servers.find("  inside-start-port : 8080\n") != std::string::npos);
  CHECK(servers.find("  protocol          : udp\n") != std::string::npos);
  CHECK(servers.find("  no-reverse        : yes\n") != std::string::npos);
  CHECK(servers.find("  Total :    3\n") != std::string::npos);
  // The process's own figures: a used size of this process, below the machine's total.
  const std::string memory = show(d, "display memory-usage");
  unsigned long long total = 0, used = 0;
  REQUIRE(std::sscanf(memory.c_str() + memory.find(" System Total Memory Is:"),
                      " System Total Memory Is: %llu bytes\n Total Memory Used Is: %llu", &total,
                      &used) == 2);
  CHECK(used > 1000000);
  CHECK(used < total);
  const std::string cpu = show(d, "display cpu-usage");
  CHECK(cpu.rfind("CPU Usage Stat. Cycle: 60 (Second)\nCPU Usage            : ", 0) == 0);
  CHECK(cpu.find("CPU utilization for five seconds: ") != std::string::npos);
}

TEST_CASE("display logbuffer: the commands that configured the device, newest first", "[display]") {
  consoles.clear();
  Device d(load_example("fw1.cfg"));
  show(d, "system-view");
  show(d, "ike peer fw3");
  show(d, "pre-shared-key Secret@123");
  show(d, "return");
  const std::string log = show(d, "display logbuffer");
  CHECK(log.rfind("Logging buffer configuration and contents : enabled\nAllowed max buffer size : "
                  "1024\nActual buffer size : 512\nChannel number : 4 , Channel name : logbuffer\n",
                  0) == 0);
  const size_t key = log.find(
      " FW1 %%01SHELL/5/CMDRECORD(s)[2]:Recorded command information. "
      "(Command=\"pre-shared-key ******\")\n");
  const size_t peer = log.find("(Command=\"ike peer fw3\")");
  REQUIRE(key != std::string::npos);
  REQUIRE(peer != std::string::npos);
  CHECK(key < peer);  // newest first
  CHECK(log.find("Secret@123") == std::string::npos);
}
