// Shared by the trust tests (issue 10): a fake agent (tests/support/fake_agent.py) run as root or as
// uid 65534, and a world-writable place where that other uid can squat.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"

namespace trusttest {

using namespace std::chrono_literals;

inline constexpr int kNobody = 65534;

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::string random_key(const std::string& prefix) {
  std::mt19937_64 rng{std::random_device{}()};
  std::string key = prefix;
  for (int i = 0; i < 32; ++i) key += "0123456789abcdef"[rng() % 16];
  return key;
}

// Whose a fake agent is.
enum class Runner { root, nobody };

// fake_agent.py serving `socket` (its directory created 0700 by the fake's uid), bytes received per
// connection appended to `record`. Passed with -c: uid 65534 cannot read the source tree.
class FakeAgent {
 public:
  FakeAgent(Runner runner, const std::string& socket, const std::string& record, const std::string& mode,
            const nlohmann::json& reply = nlohmann::json::object())
      : record_(record) {
    const std::string script = testsupport::read_file(testsupport::kSourceDir + "/tests/support/fake_agent.py");
    std::vector<std::string> argv;
    if (runner == Runner::nobody) argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    argv.insert(argv.end(), {"/usr/bin/python3", "-c", script, socket, record, mode, reply.dump()});
    process_ = testsupport::Process(argv, testsupport::base_env("/tmp", {{"HOME", "/tmp"}}), record + ".log");
    const bool ready = testsupport::eventually([&] {
      return std::filesystem::exists(record + ".ready") || !process_.running();
    }, 10s);
    if (!ready || !process_.running()) throw std::runtime_error("fake agent did not start: " + testsupport::read_file(record + ".log"));
  }
  // One line per closed connection: the bytes the client sent on it.
  std::string record() const { return testsupport::read_file(record_); }
  testsupport::Process& process() { return process_; }

 private:
  std::string record_;
  testsupport::Process process_;
};

// A 1777 directory (like /tmp) inside a test dir that uid 65534 can reach.
inline std::string shared_dir(const std::string& test_dir) {
  ::chmod(test_dir.c_str(), 0711);
  const std::string shared = test_dir + "/shared";
  std::filesystem::create_directories(shared);
  ::chmod(shared.c_str(), 01777);
  return shared;
}

}  // namespace trusttest
