// One real agent in a private temp FLUXLOOP_HOME and socket, plus a way to run the real client.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace testsupport {

// The binaries under test: those of this build tree, unless FLUXLOOP_TEST_AGENTD / FLUXLOOP_TEST_CLIENT
// name others. The ASan stage (scripts/test.sh) runs the plain tree's integration tests against the
// sanitized agent and client that way, instead of compiling every test driver a second time.
inline std::string binary_under_test(const char* variable, const char* built) {
  const char* chosen = std::getenv(variable);
  return chosen != nullptr && *chosen != '\0' ? chosen : built;
}
inline const std::string kAgentd = binary_under_test("FLUXLOOP_TEST_AGENTD", FLUXLOOP_TEST_AGENTD);
inline const std::string kClient = binary_under_test("FLUXLOOP_TEST_CLIENT", FLUXLOOP_TEST_CLIENT);
// The build tree these tests were compiled in (cmake --install runs from it).
inline const std::string kBuildDir = FLUXLOOP_TEST_BUILD_DIR;
inline const std::string kSourceDir = FLUXLOOP_TEST_SOURCE_DIR;

class AgentFixture {
 public:
  // `extra` is added to the environment of the agent and of every client run. FLUXLOOP_STORE
  // defaults to "file" and FLUXLOOP_NO_AUTOSTART to "1" unless `extra` says otherwise.
  explicit AgentFixture(const Env& extra = {});
  // AgentFixture f({{"NAME", "value"}}) without ambiguity.
  explicit AgentFixture(std::initializer_list<Env::value_type> extra) : AgentFixture(Env(extra)) {}
  ~AgentFixture();

  // Starts `fluxloop-agentd --foreground --socket SOCK` and waits until the socket accepts.
  void start(const std::vector<std::string>& extra_args = {});
  // SIGTERM, then waits; returns the exit code.
  int stop();
  // Runs the real client with the fixture's environment (plus `extra_env`).
  RunResult client(const std::vector<std::string>& args, std::string_view input = {}, const Env& extra_env = {});

  std::string log() const { return read_file(log_path_); }
  const std::string& dir() const { return dir_.path(); }
  const std::string& home() const { return home_; }
  const std::string& socket() const { return socket_; }
  const Env& env() const { return env_; }
  Process& agent() { return agent_; }

 private:
  TempDir dir_;
  std::string home_, socket_, log_path_;
  Env env_;
  Process agent_;
};

// True when something accepts connections on the Unix socket at `path`.
bool socket_accepts(const std::string& path);

}  // namespace testsupport
