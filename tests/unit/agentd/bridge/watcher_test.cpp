#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agentd/bridge/watcher.hpp"
#include "agentd/util/atomic_file.hpp"
#include "tests/support/process.hpp"

using agentd::bridge::FileEvent;
using agentd::bridge::Watcher;

namespace {

// Runs the loop until `count` events arrived (or a generous deadline passed: then the CHECK fails).
std::vector<FileEvent> collect(boost::asio::io_context& io, std::vector<FileEvent>& seen, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.size() < count && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(20));
  return seen;
}

}  // namespace

TEST_CASE("bridge watcher: writes in place, renames into place, unlinks and renames away of the name only") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/auth.json";
  boost::asio::io_context io;
  std::vector<FileEvent> seen;
  Watcher watcher(io.get_executor(), dir.path(), "auth.json", [&](FileEvent e) { seen.push_back(e); });
  REQUIRE(watcher.start().ok());
  CHECK(watcher.watching());

  testsupport::write_file(dir.path() + "/other.json", "{}");  // another name: not reported
  testsupport::write_file(path, "{}");                          // in place, as the platform CLI writes
  REQUIRE(collect(io, seen, 1).size() == 1);
  CHECK(seen[0] == FileEvent::written);

  REQUIRE(agentd::util::write_file_atomic(path, "{\"a\": 1}").ok());  // as the bridge writes
  REQUIRE(collect(io, seen, 2).size() == 2);
  CHECK(seen[1] == FileEvent::written);

  std::filesystem::rename(path, dir.path() + "/moved.json");
  REQUIRE(collect(io, seen, 3).size() == 3);
  CHECK(seen[2] == FileEvent::removed);

  testsupport::write_file(path, "{}");
  std::filesystem::remove(path);
  REQUIRE(collect(io, seen, 5).size() == 5);
  CHECK(seen[3] == FileEvent::written);
  CHECK(seen[4] == FileEvent::removed);

  // Reading is no event.
  (void)testsupport::read_file(dir.path() + "/moved.json");
  io.run_for(std::chrono::milliseconds(50));
  CHECK(seen.size() == 5);
}

TEST_CASE("bridge watcher: the directory going away ends the watch and says so, and stop() silences it") {
  testsupport::TempDir dir;
  const std::string watched = dir.path() + "/.fluxloop";
  std::filesystem::create_directories(watched);
  boost::asio::io_context io;
  std::vector<FileEvent> seen;
  Watcher watcher(io.get_executor(), watched, "auth.json", [&](FileEvent e) { seen.push_back(e); });
  REQUIRE(watcher.start().ok());
  std::filesystem::remove_all(watched);
  REQUIRE_FALSE(collect(io, seen, 1).empty());
  CHECK(seen.back() == FileEvent::lost);
  CHECK_FALSE(watcher.watching());

  std::filesystem::create_directories(watched);
  REQUIRE(watcher.start().ok());
  watcher.stop();
  const auto before = seen.size();
  testsupport::write_file(watched + "/auth.json", "{}");
  io.run_for(std::chrono::milliseconds(50));
  CHECK(seen.size() == before);
  CHECK_FALSE(Watcher(io.get_executor(), dir.path() + "/missing", "auth.json", [](FileEvent) {}).start().ok());
}
