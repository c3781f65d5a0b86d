// The doctest main of keyring_tests (each case is run by ctest under tests/support/with-keyring.sh).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
