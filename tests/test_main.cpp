// The unit tests run in a temporary directory of their own, so that nothing a test (or a bug in
// the code under test) writes with a relative path can land in the source tree or wherever ctest
// was started. scripts/test also fails if the source tree changed while the tests ran.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/fix_typing.hpp"
#include "device/trace_fix_proof.hpp"

int main(int argc, char* argv[]) {
  char dir[] = "/tmp/vfw-tests-XXXXXX";
  if (mkdtemp(dir) == nullptr || chdir(dir) != 0) {
    std::perror("vfw_tests: temporary directory");
    return 2;
  }
  // The key that seals configuration secrets (config/secret.hpp): the test run's own.
  setenv("VFW_DEVICE_KEY", (std::string(dir) + "/device.key").c_str(), 1);
  // The trace's fixes are proven with the CLI's command engine, as in vfw itself.
  vfw::set_fix_typist(vfw::cli::apply_fix);
  const int status = Catch::Session().run(argc, argv);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}
