#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "agentd/daemon/code_pages.hpp"

namespace {

// A field of /proc/self/status in KiB.
long status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

int add(int a, int b) { return a + b; }
int mul(int a, int b) { return a * b; }
// Relocated at load time (PIE): lives in written RELRO pages, which the trim must leave alone.
int (*const kOps[])(int, int) = {add, mul};
const std::string kText = std::string(100000, 'q');  // heap data, not a file page

}  // namespace

TEST_CASE("code pages: clean file pages are dropped, written and anonymous memory is kept") {
  const long file_before = status_kib("RssFile");
  const long anon_before = status_kib("RssAnon");
  REQUIRE(file_before > 0);
  CHECK(agentd::daemon::trim_code_pages() > 0);
  const long file_after = status_kib("RssFile");
  CHECK_MESSAGE(file_after < file_before, "RssFile " << file_before << " -> " << file_after << " KiB");
  // Written pages (relocated tables, data, heap) are untouched, and the code still runs.
  CHECK(status_kib("RssAnon") >= anon_before - 64);
  volatile int which = 1;
  CHECK(kOps[which](6, 7) == 42);
  CHECK(kOps[0](6, 7) == 13);
  CHECK(kText.size() == 100000);
  CHECK(kText.find_first_not_of('q') == std::string::npos);
}
