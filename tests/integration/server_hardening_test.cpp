// Issue 10's server hardening with the real agent and client (docs/security.md "Server hardening"):
// another uid is told why, many idle connections lock nobody out, a flood of malformed frames
// neither floods the logs nor rotates the audit log.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "proto/codec.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

using namespace std::chrono_literals;
using testsupport::AgentFixture;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// Lets this test process hold `wanted` descriptors (the soft limit raised towards the hard one).
bool allow_fds(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

}  // namespace

TEST_CASE("hardening: the real client of another uid gets permission_denied and exits 5") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to run the client as uid 65534");
    return;
  }
  AgentFixture f;
  f.start();
  // A socket made 0777 in a 0755 directory: only the agent's own uid check stands in the way.
  const std::string dir = std::filesystem::path(f.socket()).parent_path().string();
  REQUIRE(::chmod(f.dir().c_str(), 0755) == 0);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(f.socket().c_str(), 0777) == 0);

  auto result = testsupport::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  testsupport::kClient, "agent", "status"},
                                 testsupport::base_env("/tmp", {{"HOME", "/tmp"},
                                                                {"FLUXLOOP_HOME", "/tmp/fluxloop-65534-absent"},
                                                                {"FLUXLOOP_AGENT_SOCK", f.socket()},
                                                                {"FLUXLOOP_NO_AUTOSTART", "1"}}));
  CHECK_MESSAGE(result.exit_code == 5, result.err);
  CHECK_MESSAGE(contains(result.err, "uid"), result.err);
  CHECK(testsupport::eventually([&] { return contains(f.log(), "refused connection from pid"); }, 5s));
  auto own = f.client({"agent", "status"});
  CHECK_MESSAGE(own.exit_code == 0, own.err);
}

TEST_CASE("hardening: 1000 idle connections lock nobody out") {
  constexpr int kIdle = 1000;
  REQUIRE(allow_fds(kIdle + 256));
  AgentFixture f;
  f.start();
  std::vector<agentd::util::UniqueFd> idle;
  for (int i = 0; i < kIdle; ++i) {
    auto fd = servertest::connect_to(f.socket());
    REQUIRE(fd);
    idle.push_back(std::move(fd));
  }
  // The agent took every one of them (its status counts them), and the real client is still served.
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  CHECK_FALSE(contains(f.log(), "too many"));
  // The first idle ones are still open: nothing was evicted below the cap.
  REQUIRE(servertest::send_all(idle.front().get(), proto::encode_request(1, proto::AgentStatus{})));
  auto body = servertest::recv_frame(idle.front().get());
  REQUIRE(body);
  auto reply = proto::decode_reply<proto::AgentStatusReply>(*body, 1);
  REQUIRE_MESSAGE(reply.ok(), reply.error().message);
  CHECK(reply->connections >= kIdle);
}

TEST_CASE("hardening: 20000 malformed frames neither flood the log nor rotate the audit log") {
  AgentFixture f;
  f.start();
  REQUIRE(f.client({"agent", "status"}).exit_code == 0);
  const std::string audit = f.home() + "/audit.log";
  const auto log_before = size_of(f.dir() + "/agent.log");

  constexpr int kFrames = 20000;
  constexpr int kBatch = 100;  // frames in flight before their replies are read
  // Half not JSON at all, half an unknown op whose 2000-byte name carries control characters.
  const std::string garbage = proto::frame("\x01\x02{{{ not json \x1b[31m");
  std::string long_op(2000, 'x');
  long_op[10] = '\n';
  long_op[20] = '\x1b';
  auto fd = servertest::connect_to(f.socket());
  REQUIRE(fd);
  for (int sent = 0; sent < kFrames; sent += kBatch) {
    std::string batch;
    for (int i = 0; i < kBatch; ++i) {
      if (i % 2 == 0) {
        batch += garbage;
      } else {
        batch += proto::frame(R"({"v":1,"id":)" + std::to_string(sent + i + 1) + R"(,"op":")" +
                              std::string(long_op.size(), 'y') + "\"}");
      }
    }
    REQUIRE(servertest::send_all(fd.get(), batch));
    for (int i = 0; i < kBatch; ++i) {
      auto reply = servertest::recv_frame(fd.get(), 10s);
      REQUIRE(reply);
    }
  }
  // A control character in the op name, once: escaped in the log, never raw.
  REQUIRE(servertest::send_all(fd.get(), proto::frame(R"({"v":1,"id":1,"op":")" + long_op.substr(0, 10) +
                                                      "\\u001b[31m" + long_op.substr(21) + "\"}")));
  REQUIRE(servertest::recv_frame(fd.get(), 10s));

  // Still serving, with the same connection and with the real client.
  REQUIRE(servertest::send_all(fd.get(), proto::encode_request(7, proto::AgentStatus{})));
  auto body = servertest::recv_frame(fd.get(), 10s);
  REQUIRE(body);
  CHECK(proto::decode_reply<proto::AgentStatusReply>(*body, 7).ok());
  auto status = f.client({"agent", "status"});
  CHECK_MESSAGE(status.exit_code == 0, status.err);

  CHECK(testsupport::eventually([&] { return contains(testsupport::read_file(audit), "invalid_request"); }, 5s));
  const auto grown = size_of(f.dir() + "/agent.log") - log_before;
  CHECK_MESSAGE(grown < 200 * 1024, "the agent log grew by " << grown << " bytes");
  CHECK_FALSE(std::filesystem::exists(audit + ".1"));
  CHECK(size_of(audit) < 64 * 1024);
  CHECK_FALSE(contains(f.log(), "\x1b"));

  // At shutdown what was suppressed is summarised, in the log and in the audit log.
  CHECK(f.stop() == 0);
  CHECK(contains(f.log(), "suppressed"));
  CHECK(contains(testsupport::read_file(audit), "\"count\":"));
  CHECK_FALSE(std::filesystem::exists(audit + ".1"));
}
