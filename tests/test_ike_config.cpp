// The IKE configuration: ike proposal, ike peer, ike local-name, as the device takes and prints it,
// the pre-shared key never in clear.
#include <catch2/catch.hpp>

#include "cli/config_loader.hpp"
#include "cli/line_runner.hpp"
#include "config/render.hpp"
#include "config/secret.hpp"

using namespace vfw;

TEST_CASE("ike proposal algorithms typed in any case are kept, shown in lower case and reload",
          "[config][ike]") {
  // The command tree takes keywords in any case; found by fuzz_config, whose round trip broke on
  // "dh groUp14" turning into an empty "dh".
  auto r = cli::load_config_text(
      "ike proposal 10\n encryption-algorithm AES-256\n dh groUp14 GROUP19\n prf HMAC-sha2-2\n#\n",
      "p.cfg");
  REQUIRE(r.ok());
  const auto& p = r.config.ike_proposals.at(0);
  CHECK(p.encryption == std::vector<std::string>{"aes-256"});
  CHECK(p.dh == std::vector<std::string>{"group14", "group19"});
  CHECK(p.prf == std::vector<std::string>{"hmac-sha2-256"});
  const std::string shown = config::render_current_configuration(r.config);
  auto again = cli::load_config_text(shown, "shown.cfg");
  REQUIRE(again.ok());
  CHECK(config::render_current_configuration(again.config) == shown);
}

TEST_CASE("ike proposal takes several algorithms in order of preference, abbreviated as typed",
          "[config][ike]") {
  auto r = cli::load_config_text(
      "ike proposal 10\n encryption-algorithm aes-128 aes-256\n dh group19 group14\n"
      " integrity-algorithm hmac-sha2-512 hmac-sha2-256\n prf hmac-sha2-5\n sa duration 3600\n#\n",
      "p.cfg");
  REQUIRE(r.ok());
  const auto& p = r.config.ike_proposals.at(0);
  CHECK(p.encryption == std::vector<std::string>{"aes-128", "aes-256"});
  CHECK(p.dh == std::vector<std::string>{"group19", "group14"});
  CHECK(p.integrity == std::vector<std::string>{"hmac-sha2-512", "hmac-sha2-256"});
  CHECK(p.prf == std::vector<std::string>{"hmac-sha2-512"});
  CHECK(p.duration == 3600);
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("ike proposal 10\n encryption-algorithm aes-128 aes-256\n dh group19 group14\n"
                   " authentication-algorithm sha2-256\n authentication-method pre-share\n"
                   " integrity-algorithm hmac-sha2-512 hmac-sha2-256\n prf hmac-sha2-512\n"
                   " sa duration 3600\n#\n") != std::string::npos);
  // A wrong algorithm is the device's caret error, under the word.
  Device d;
  LineRunner run(d);
  run.run("system-view", 0);
  run.run("ike proposal 10", 0);
  const auto bad = run.run("encryption-algorithm aes-256 rot13", 0);
  CHECK_FALSE(bad.ok);
  CHECK(bad.err ==
        std::string(29, ' ') + "^\nError: Unrecognized command found at '^' position.\n");
}

TEST_CASE("the pre-shared key prints sealed, loads back, replaces the old one and is never echoed",
          "[config][ike][secret]") {
  Device d;
  LineRunner r(d);
  r.run("system-view", 0);
  r.run("ike peer fw3", 0);
  r.run("pre-shared-key Old@Key1", 0);
  r.run("pre-shared-key Seed@2026", 0);
  const std::string shown = config::render_current_configuration(d.config());
  CHECK(shown.find("Seed@2026") == std::string::npos);
  CHECK(shown.find("Old@Key1") == std::string::npos);
  CHECK(shown.find(" pre-shared-key " + config::seal_secret("Seed@2026") + "\n") !=
        std::string::npos);
  CHECK(d.config().ike_peers.at(0).pre_shared_key == "Seed@2026");
  // display this, in the peer's view, shows the same cipher form.
  const auto here = r.run("display this", 0);
  CHECK(here.out.find("Seed@2026") == std::string::npos);
  CHECK(here.out.find("pre-shared-key %^%#") != std::string::npos);
  // The printed form loads back to the same key.
  auto again = cli::load_config_text(shown, "again.cfg");
  REQUIRE(again.ok());
  CHECK(again.config.ike_peers.at(0).pre_shared_key == "Seed@2026");
  // A line with a bad key is refused without repeating it.
  const auto err = r.run("pre-shared-key " + std::string(130, 'k'), 0);
  CHECK_FALSE(err.ok);
  CHECK(err.err.find("kkkk") == std::string::npos);
}

TEST_CASE("a key sealed by another device is kept as written, and said to be unusable",
          "[config][ike][secret]") {
  const std::string foreign = "%^%#:0|{9O]cFW8[>j'p+!OEdaM03fiC8$L.f8IA.IEY%^%#";
  auto r = cli::load_config_text(
      "ike peer x\n pre-shared-key " + foreign + "\n remote-address 1.1.1.1\n#\n", "f.cfg");
  REQUIRE(r.ok());
  CHECK(r.config.ike_peers.at(0).pre_shared_key.empty());
  CHECK(config::render_current_configuration(r.config).find(" pre-shared-key " + foreign + "\n") !=
        std::string::npos);
  CHECK(std::any_of(r.notices.begin(), r.notices.end(), [](const std::string& n) {
    return n.find("another device") != std::string::npos;
  }));
}

TEST_CASE("ike peer: references are checked, versions and identities kept", "[config][ike]") {
  auto missing = cli::load_config_text("ike peer x\n ike-proposal 7\n#\n", "m.cfg");
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].message == "Error: The IKE proposal 7 does not exist.");
  auto r = cli::load_config_text(
      "ike local-name fw1\n#\nike peer x\n undo version 1\n local-id-type fqdn\n remote-id-type "
      "fqdn\n"
      " remote-id fw3\n dpd type periodic\n remote-address 2.1.1.1\n#\n",
      "v.cfg");
  REQUIRE(r.ok());
  const auto& p = r.config.ike_peers.at(0);
  CHECK_FALSE(p.version1);
  CHECK(p.version2);
  CHECK(p.remote_id == "fw3");
  CHECK(r.config.ike_local_name == "fw1");
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("ike local-name fw1\n#\n") != std::string::npos);
  CHECK(shown.find("ike peer x\n undo version 1\n local-id-type fqdn\n remote-id-type fqdn\n"
                   " remote-id fw3\n dpd type periodic\n remote-address 2.1.1.1\n#\n") !=
        std::string::npos);
  auto both = cli::load_config_text("ike peer x\n undo version 1\n undo version 2\n", "u.cfg");
  CHECK(both.errors.size() == 1);
}
