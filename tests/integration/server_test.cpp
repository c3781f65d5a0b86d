// The real fluxloop-agentd over its real socket: start-up refusals, hostile clients, shutdown, --daemon
// and the peer uid check.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "proto/codec.hpp"
#include "tests/support/agent_fixture.hpp"
// Header-only raw-socket helpers shared with the server's unit tests.
#include "tests/unit/agentd/server/socket_helpers.hpp"

using namespace std::chrono_literals;
using testsupport::AgentFixture;

namespace {

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// agent_status over a fresh raw connection; the reply, or an error.
proto::Result<proto::AgentStatusReply> agent_status(const std::string& socket, std::uint64_t id = 1) {
  auto fd = servertest::connect_to(socket);
  if (!fd) return proto::Error{proto::ErrorCode::network, "cannot connect to " + socket};
  if (!servertest::send_all(fd.get(), proto::encode_request(id, proto::AgentStatus{}))) {
    return proto::Error{proto::ErrorCode::network, "send failed"};
  }
  auto body = servertest::recv_frame(fd.get(), 10s);
  if (!body) return proto::Error{proto::ErrorCode::network, "no reply"};
  return proto::decode_reply<proto::AgentStatusReply>(*body, id);
}

proto::Error error_of(const std::string& body) {
  auto reply = proto::decode_reply<proto::OkReply>(body, 0);
  REQUIRE_FALSE(reply.ok());
  return reply.error();
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

TEST_CASE("agentd: --version and --help and a missing mode") {
  auto version = testsupport::run({testsupport::kAgentd, "--version"}, testsupport::base_env("/tmp"));
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("fluxloop-agentd ") + FLUXLOOP_VERSION + "\n");
  auto help = testsupport::run({testsupport::kAgentd, "--help"}, testsupport::base_env("/tmp"));
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "--daemon"));
  auto none = testsupport::run({testsupport::kAgentd}, testsupport::base_env("/tmp"));
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "Usage:"));
  auto bad = testsupport::run({testsupport::kAgentd, "--foreground", "--bogus"}, testsupport::base_env("/tmp"));
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "--bogus"));
}

TEST_CASE("agentd: serves its socket 0600 in a 0700 directory with core dumps off") {
  AgentFixture f;
  f.start();
  struct stat st{};
  REQUIRE(::lstat(f.socket().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::lstat(std::filesystem::path(f.socket()).parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto status = agent_status(f.socket());
  REQUIRE_MESSAGE(status.ok(), status.error().message);
  CHECK(status->pid == f.agent().pid());
  CHECK(status->socket == f.socket());
  CHECK(status->connections >= 1);
  auto limits = testsupport::read_file("/proc/" + std::to_string(f.agent().pid()) + "/limits");
  CHECK(std::regex_search(limits, std::regex(R"(Max core file size\s+0\s+0)")));
}

TEST_CASE("agentd: a second agent on the same socket is refused") {
  AgentFixture f;
  f.start();
  auto second = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", f.socket()}, f.env());
  CHECK(second.exit_code == 1);
  CHECK(contains(second.err, "agent already running (pid " + std::to_string(f.agent().pid()) + ") at " + f.socket()));
  CHECK(f.agent().running());
  CHECK(agent_status(f.socket()).ok());  // the first one's socket was left alone

  // Also through --daemon: the error reaches the terminal before any fork.
  auto daemon = testsupport::run({testsupport::kAgentd, "--daemon", "--socket", f.socket()}, f.env());
  CHECK(daemon.exit_code == 1);
  CHECK(contains(daemon.err, "already running"));
  CHECK(daemon.out.empty());
}

TEST_CASE("agentd: a stale socket left by a killed agent is replaced") {
  AgentFixture f;
  f.start();
  const pid_t first = f.agent().pid();
  f.agent().signal(SIGKILL);
  f.agent().wait();
  REQUIRE(exists(f.socket()));  // SIGKILL leaves the socket (and the lock file) behind
  CHECK_FALSE(testsupport::socket_accepts(f.socket()));
  f.start();
  auto status = agent_status(f.socket());
  REQUIRE_MESSAGE(status.ok(), status.error().message);
  CHECK(status->pid != first);
  CHECK(contains(f.log(), "removed stale socket"));
}

TEST_CASE("agentd: a socket directory open to others is refused with the fix") {
  AgentFixture f;
  const std::string dir = std::filesystem::path(f.socket()).parent_path().string();
  std::filesystem::create_directories(dir);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  auto result = testsupport::run({testsupport::kAgentd, "--foreground", "--socket", f.socket()}, f.env());
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, "group/world accessible"));
  CHECK(contains(result.err, "chmod 700 " + dir));
  CHECK_FALSE(exists(f.socket()));
}

TEST_CASE("agentd: a 1 GiB length prefix and garbage do not disturb another client") {
  AgentFixture f;
  f.start();
  auto bystander = servertest::connect_to(f.socket());
  REQUIRE(bystander);
  REQUIRE(servertest::send_all(bystander.get(), proto::encode_request(1, proto::AgentStatus{})));
  REQUIRE(servertest::recv_frame(bystander.get()));

  auto huge = servertest::connect_to(f.socket());
  REQUIRE(huge);
  auto header = proto::encode_header(1u << 30);
  REQUIRE(servertest::send_all(huge.get(), std::string(reinterpret_cast<const char*>(header.data()), header.size())));
  auto too_large = servertest::recv_frame(huge.get());
  REQUIRE(too_large);
  CHECK(error_of(*too_large).code == proto::ErrorCode::frame_too_large);
  CHECK(servertest::closed_by_peer(huge.get(), 5s));

  auto garbage = servertest::connect_to(f.socket());
  REQUIRE(garbage);
  REQUIRE(servertest::send_all(garbage.get(), proto::frame("\x01\x02{{{ not json")));
  auto bad = servertest::recv_frame(garbage.get());
  REQUIRE(bad);
  CHECK(error_of(*bad).code == proto::ErrorCode::bad_request);
  REQUIRE(servertest::send_all(garbage.get(), std::string(4, '\0')));  // an empty frame: closed
  CHECK(servertest::closed_by_peer(garbage.get(), 5s));

  // The bystander's connection, opened before all this, still works; so does the real client.
  REQUIRE(servertest::send_all(bystander.get(), proto::encode_request(2, proto::AgentStatus{})));
  auto body = servertest::recv_frame(bystander.get());
  REQUIRE(body);
  CHECK(proto::decode_reply<proto::AgentStatusReply>(*body, 2).ok());
  auto status = f.client({"agent", "status"});
  CHECK_MESSAGE(status.exit_code == 0, status.err);
  CHECK(f.agent().running());
}

TEST_CASE("agentd: SIGTERM shuts down cleanly and removes the socket and lock") {
  AgentFixture f;
  f.start();
  auto idle = servertest::connect_to(f.socket());  // an open idle connection must not hold shutdown up
  REQUIRE(idle);
  CHECK(f.stop() == 0);
  CHECK_FALSE(exists(f.socket()));
  CHECK_FALSE(exists(f.socket() + ".lock"));
  CHECK(servertest::closed_by_peer(idle.get(), 2s));
  CHECK(contains(f.log(), "shutting down: received SIGTERM"));
}

TEST_CASE("agentd: agent_stop is answered and then the agent exits 0 and removes its socket") {
  AgentFixture f;
  f.start();
  auto fd = servertest::connect_to(f.socket());
  REQUIRE(fd);
  REQUIRE(servertest::send_all(fd.get(), proto::encode_request(3, proto::AgentStop{})));
  auto body = servertest::recv_frame(fd.get());
  REQUIRE(body);
  CHECK(proto::decode_reply<proto::OkReply>(*body, 3).ok());
  CHECK(f.agent().wait(10s) == 0);
  CHECK_FALSE(exists(f.socket()));
}

TEST_CASE("agentd: --daemon prints the export lines and the socket answers") {
  AgentFixture f;
  auto result = testsupport::run({testsupport::kAgentd, "--daemon", "--socket", f.socket()}, f.env());
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  std::smatch match;
  const std::regex lines("FLUXLOOP_AGENT_SOCK=(.*); export FLUXLOOP_AGENT_SOCK;\necho Agent pid ([0-9]+);\n");
  REQUIRE_MESSAGE(std::regex_match(result.out, match, lines), result.out);
  CHECK(match[1] == f.socket());
  const pid_t pid = std::stoi(match[2]);
  struct Reaper {  // never leave a daemon behind, whatever fails below
    pid_t pid;
    ~Reaper() { ::kill(pid, SIGKILL); }
  } reaper{pid};

  auto status = agent_status(f.socket());
  REQUIRE_MESSAGE(status.ok(), status.error().message);
  CHECK(status->pid == pid);
  CHECK(testsupport::read_file(f.socket() + ".lock").starts_with(std::to_string(pid) + "\n"));

  const std::string log = f.home() + "/agent.log";
  struct stat st{};
  REQUIRE(::lstat(log.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(contains(testsupport::read_file(log), "serving " + f.socket()));

  // Detached: its own session, so the terminal's hang-up cannot reach it.
  CHECK(::getsid(pid) == pid);
  REQUIRE(::kill(pid, SIGTERM) == 0);
  CHECK(testsupport::eventually([&] { return !process_alive(pid) && !exists(f.socket()); }, 10s));
}

TEST_CASE("agentd: a peer of another uid is told permission_denied, closed and logged while the owner is still served") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to run a client as uid 65534");
    return;
  }
  AgentFixture f;
  f.start();
  // Open the door on purpose, so only the agent's own check stands between uid 65534 and the agent.
  const std::string dir = std::filesystem::path(f.socket()).parent_path().string();
  REQUIRE(::chmod(f.dir().c_str(), 0711) == 0);
  REQUIRE(::chmod(dir.c_str(), 0711) == 0);
  REQUIRE(::chmod(f.socket().c_str(), 0666) == 0);

  std::string hex;
  for (unsigned char c : proto::encode_request(1, proto::AgentStatus{})) {
    static const char digits[] = "0123456789abcdef";
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  const std::string script = R"(
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
except (ConnectionResetError, BrokenPipeError):
    pass  # the agent may have answered and closed before our request went out
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except ConnectionResetError:
    pass  # after the frame: the agent closed with our request unread
except socket.timeout:
    print("TIMEOUT")
print(data[4:].decode())
)";
  auto result = testsupport::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "/usr/bin/python3", "-c", script, f.socket(), hex},
                                 testsupport::base_env("/tmp", {{"HOME", "/tmp"}}));
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  // One error frame (id 0), then EOF.
  REQUIRE(result.out.size() > 1);
  auto error = error_of(result.out.substr(0, result.out.size() - 1));
  CHECK(error.code == proto::ErrorCode::permission_denied);
  CHECK(contains(error.message, "not uid 65534"));
  CHECK(testsupport::eventually([&] { return contains(f.log(), "uid 65534"); }, 5s));
  CHECK(contains(f.log(), "refused connection"));

  auto status = agent_status(f.socket());
  CHECK_MESSAGE(status.ok(), status.error().message);
}
