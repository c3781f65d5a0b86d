// doctest's main, after pointing the in-process HTTPS client and keyring store at the helper
// programs of this build tree (they are looked up next to the executable otherwise).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("FLUXLOOP_HELPER_DIR", FLUXLOOP_TEST_HELPER_DIR, 0);
  return doctest::Context(argc, argv).run();
}
