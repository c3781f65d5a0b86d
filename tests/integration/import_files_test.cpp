// Issue 10 item 10: `auth import` names a file the agent opens; a FIFO, a symbolic link or a huge file
// get a clear error at once, and the agent keeps serving everyone else meanwhile.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include <fcntl.h>

#include "tests/support/agent_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

constexpr const char* kCredentials = R"({"access_token": "flx_import_test_access", "expires_at": "2099-01-01T00:00:00Z"})";

}  // namespace

TEST_CASE("import: a FIFO is refused at once and never stalls the agent") {
  AgentFixture f;
  f.start();
  const std::string fifo = f.dir() + "/creds.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

  auto import = std::async(std::launch::async, [&] { return f.client({"auth", "import", fifo, "--profile", "p"}); });
  // Another client is served while (or after) the import is handled.
  auto status = f.client({"agent", "status"});
  CHECK(status.exit_code == 0);
  const bool finished = import.wait_for(15s) == std::future_status::ready;
  if (!finished) {
    // Before the fix the agent's only I/O thread sat in open(): give it a writer so it can go on.
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  }
  REQUIRE(finished);
  auto result = import.get();
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, "not a regular file"));
  CHECK(f.agent().running());
}

TEST_CASE("import: a symbolic link is refused, the file it points to imports") {
  AgentFixture f;
  f.start();
  const std::string real = f.dir() + "/real.json";
  const std::string link = f.dir() + "/link.json";
  testsupport::write_file(real, kCredentials);
  std::filesystem::create_symlink(real, link);

  auto refused = f.client({"auth", "import", link, "--profile", "p"});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "symbolic link"));
  CHECK(f.client({"auth", "token", "--profile", "p"}).exit_code == 3);

  auto imported = f.client({"auth", "import", real, "--profile", "p"});
  CHECK_MESSAGE(imported.exit_code == 0, imported.err);
  CHECK(f.client({"auth", "token", "--profile", "p"}).out == "flx_import_test_access\n");
}

TEST_CASE("import: a file over 1 MiB is refused") {
  AgentFixture f;
  f.start();
  const std::string big = f.dir() + "/big.json";
  testsupport::write_file(big, std::string(R"({"access_token": ")") + std::string(1024 * 1024, 'a') + "\"}");
  auto refused = f.client({"auth", "import", big, "--profile", "p"});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "larger than"));
  CHECK(f.agent().running());
}
