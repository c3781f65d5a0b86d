// Shared by the fuzz targets: an invariant that must hold for every input. A violation aborts, which
// libFuzzer reports as a crash and saves the input (crash-<sha1>) for a regression test.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

namespace fuzz {

// Messages reach a terminal: no C0 control character or DEL may ride in them.
inline bool printable_message(std::string_view message) {
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The secret the HTTP and token targets pretend their request carried; the corpora and the
// dictionary hold it so the fuzzer can make a server echo it.
inline constexpr std::string_view kSecret = "flx_refresh_FUZZSECRET0123456789";

}  // namespace fuzz
