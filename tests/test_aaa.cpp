// aaa's local administrators (config/aaa.hpp, cli/commands_aaa.cpp): read from the block a real
// configuration carries, typed in the device's views, passwords never kept in clear.
#include <catch2/catch.hpp>

#include "cli/config_loader.hpp"
#include "cli/line_runner.hpp"
#include "config/aaa.hpp"
#include "config/render.hpp"
#include "config/secret.hpp"
#include "device/device.hpp"

using namespace vfw;

namespace {

const config::ManagerUser* find_user(const std::vector<config::ManagerUser>& users,
                                     const std::string& name) {
  for (const auto& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

}  // namespace

TEST_CASE(
    "manager-users are read from a real device's aaa block, padding and blank lines "
    "included",
    "[aaa]") {
  // As the USG6000V saves it (tests/data/real-configs/13): blocks ending in an empty line, and
  // as hardware prints it (02): lines padded with blanks.
  const auto r = cli::load_config_text(
      "#\naaa\n authentication-scheme default\n domain default\n  service-type internetaccess\n"
      " manager-user audit-admin        \n  password cipher @%@%M-mj&00!OW&9P3D8;n^I/25)W@%@%\n"
      "  service-type web terminal      \n  level 15\n\n"
      " manager-user admin\n  password cipher Admin@123\n  service-type web terminal ssh \n"
      "  level 15\n\n role system-admin\n bind manager-user admin role system-admin\n#\nreturn\n",
      "aaa.cfg");
  REQUIRE(r.errors.empty());
  const auto users = config::manager_users(r.config);
  REQUIRE(users.size() == 2);
  const auto* audit = find_user(users, "audit-admin");
  REQUIRE(audit != nullptr);
  CHECK(audit->service_types == std::vector<std::string>{"web", "terminal"});
  CHECK(audit->level == 15);
  CHECK_FALSE(audit->allows("ssh"));
  // The device's own cipher is kept as written, and cannot be checked here.
  CHECK(audit->password == "@%@%M-mj&00!OW&9P3D8;n^I/25)W@%@%");
  CHECK(config::check_password(*audit, "anything") == config::PasswordCheck::Unreadable);

  const auto* admin = find_user(users, "admin");
  REQUIRE(admin != nullptr);
  CHECK(admin->allows("ssh"));
  // A password written in clear in the file is sealed when it is loaded, and checks.
  CHECK(config::is_sealed(admin->password));
  CHECK(config::check_password(*admin, "Admin@123") == config::PasswordCheck::Match);
  CHECK(config::check_password(*admin, "Admin@12") == config::PasswordCheck::Mismatch);
  CHECK(config::check_password(*admin, "Admin@1234") == config::PasswordCheck::Mismatch);
  CHECK(config::check_password(*admin, "") == config::PasswordCheck::Mismatch);

  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("Admin@123") == std::string::npos);
  CHECK(shown.find(" role system-admin\n bind manager-user admin role system-admin\n") !=
        std::string::npos);
  // and the shown text loads back to the same users
  const auto again = cli::load_config_text(shown, "shown.cfg");
  REQUIRE(again.errors.empty());
  const auto users_again = config::manager_users(again.config);
  REQUIRE(find_user(users_again, "admin") != nullptr);
  CHECK(config::check_password(*find_user(users_again, "admin"), "Admin@123") ==
        config::PasswordCheck::Match);
}

TEST_CASE(
    "aaa and manager-user typed at the terminal: the device's views, one block, the "
    "password sealed",
    "[aaa][cli]") {
  Device device(config::Config::factory_default());
  LineRunner cli(device);
  auto run = [&](const std::string& line) {
    auto r = cli.run(line, 0);
    INFO(line << "\n" << r.err);
    CHECK(r.ok);
    return r;
  };
  run("system-view");
  run("aaa");
  CHECK(cli.ctx.prompt() == "[USG6000V1-aaa]");
  run("manager-user admin");
  CHECK(cli.ctx.prompt() == "[USG6000V1-aaa-manager-user-admin]");
  run("password cipher First@123");
  run("service-type ssh");
  run("level 15");
  run("password cipher Second@123");  // replaces the first, does not add a second
  run("manager-user bob");            // from one user's view to another's
  CHECK(cli.ctx.prompt() == "[USG6000V1-aaa-manager-user-bob]");
  run("password cipher Bob@12345");
  run("service-type telnet");
  run("service-type ssh web");  // replaces
  run("quit");
  CHECK(cli.ctx.prompt() == "[USG6000V1-aaa]");
  run("quit");
  run("aaa");  // back into the same block, not a second one
  run("manager-user admin");
  run("undo level");
  run("return");

  const auto users = config::manager_users(device.edit());
  REQUIRE(users.size() == 2);
  const auto* admin = find_user(users, "admin");
  REQUIRE(admin != nullptr);
  CHECK(config::check_password(*admin, "Second@123") == config::PasswordCheck::Match);
  CHECK(admin->level == -1);
  CHECK(admin->allows("ssh"));
  const auto* bob = find_user(users, "bob");
  REQUIRE(bob != nullptr);
  CHECK(bob->service_types == std::vector<std::string>{"ssh", "web"});

  const std::string shown = config::render_current_configuration(device.edit());
  CHECK(shown.find("First@123") == std::string::npos);
  CHECK(shown.find("Second@123") == std::string::npos);
  CHECK(std::count(shown.begin(), shown.end(), '\n') > 0);
  size_t blocks = 0;
  for (size_t at = shown.find("\naaa\n"); at != std::string::npos;
       at = shown.find("\naaa\n", at + 1))
    ++blocks;
  CHECK(blocks == 1);
  // Each user's lines under it, indented as the device prints them.
  CHECK(shown.find(" manager-user admin\n  password cipher %^%#") != std::string::npos);
  CHECK(shown.find("  service-type ssh\n manager-user bob\n") != std::string::npos);

  run("system-view");
  run("aaa");
  run("undo manager-user bob");
  CHECK(find_user(config::manager_users(device.edit()), "bob") == nullptr);
}

TEST_CASE("a user without a password, or with another machine's seal, cannot log in", "[aaa]") {
  config::ManagerUser u;
  u.name = "x";
  CHECK(config::check_password(u, "") == config::PasswordCheck::NotSet);
  u.password = "%^%#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%^%#";
  CHECK(config::check_password(u, "x") == config::PasswordCheck::Unreadable);
  u.password = "%$%$abcdefgh%$%$";
  CHECK(config::check_password(u, "x") == config::PasswordCheck::Unreadable);
}
