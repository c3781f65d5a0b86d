// The systemd user units as installed, and the real agent started through socket activation.
#include <doctest/doctest.h>

#include <signal.h>
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
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The build tree these tests come from (not the agent's: FLUXLOOP_TEST_AGENTD may name another).
fs::path build_dir() { return testsupport::kBuildDir; }

const char* kSocketActivate = "/usr/bin/systemd-socket-activate";
const char* kAnalyze = "/usr/bin/systemd-analyze";

}  // namespace

TEST_CASE("systemd: the installed user units pass systemd-analyze verify") {
  REQUIRE_MESSAGE(fs::exists(kAnalyze), "systemd-analyze is missing: apt-get install systemd");
  testsupport::TempDir tmp;
  const std::string prefix = tmp.path() + "/prefix";
  auto install = testsupport::run({"/usr/bin/cmake", "--install", build_dir().string(), "--prefix", prefix},
                                  testsupport::base_env(tmp.path()), {}, 120s);
  REQUIRE_MESSAGE(install.exit_code == 0, (install.out + install.err));

  const std::string units = prefix + "/lib/systemd/user";
  const std::string socket_unit = units + "/fluxloop-agentd.socket";
  const std::string service_unit = units + "/fluxloop-agentd.service";
  REQUIRE(fs::exists(socket_unit));
  REQUIRE(fs::exists(service_unit));
  const std::string service = testsupport::read_file(service_unit);
  CHECK(contains(service, "ExecStart=" + prefix + "/bin/fluxloop-agentd --foreground\n"));
  CHECK(contains(service, "LimitCORE=0"));
  CHECK(contains(service, "Requires=fluxloop-agentd.socket"));
  const std::string socket = testsupport::read_file(socket_unit);
  CHECK(contains(socket, "ListenStream=%t/fluxloop/agent.sock"));
  CHECK(contains(socket, "SocketMode=0600"));
  CHECK(contains(socket, "DirectoryMode=0700"));

  // The sandbox docs/agent.md describes (its score is checked below).
  for (const char* line : {"PrivateUsers=yes\n", "ProtectSystem=strict\n", "ProtectHome=read-only\n",
                           "ReadWritePaths=-%h/.fluxloop\n", "NoNewPrivileges=yes\n", "PrivateDevices=yes\n"}) {
    CHECK_MESSAGE(contains(service, line), line);
  }
  CHECK_FALSE(contains(service, "PrivateTmp=yes"));  // `auth import /tmp/x.json` must keep working

  // Documentation=man:… lines resolve against the man pages installed beside the units.
  CHECK(fs::exists(prefix + "/share/man/man1/fluxloop.1.gz"));
  CHECK(fs::exists(prefix + "/share/man/man1/fluxloop-agentd.1.gz"));
  const std::string runtime = tmp.path() + "/runtime";
  fs::create_directories(runtime);
  fs::permissions(runtime, fs::perms::owner_all, fs::perm_options::replace);
  const auto env = testsupport::base_env(tmp.path(), {{"XDG_RUNTIME_DIR", runtime}, {"MANPATH", prefix + "/share/man"}});
  auto verify = testsupport::run({kAnalyze, "verify", "--user", socket_unit, service_unit}, env, {}, 60s);
  CHECK_MESSAGE(verify.exit_code == 0, (verify.out + verify.err));
  CHECK_MESSAGE(verify.err.empty(), verify.err);  // no warnings either

  // "Overall exposure level for fluxloop-agentd.service: 2.4 OK": docs/agent.md states the score.
  auto security = testsupport::run({kAnalyze, "security", "--user", "--offline=yes", "--no-pager", service_unit}, env, {}, 60s);
  std::smatch level;
  const std::string report = security.out + security.err;
  REQUIRE_MESSAGE(std::regex_search(report, level, std::regex(R"re(Overall exposure level for [^:]+: ([0-9.]+))re")), report);
  CHECK_MESSAGE(std::stod(level[1]) <= 2.4, report);
}

TEST_CASE("install: cmake --install also puts man pages, completions and docs where their tools look") {
  testsupport::TempDir tmp;
  const std::string prefix = tmp.path() + "/prefix";
  auto install = testsupport::run({"/usr/bin/cmake", "--install", build_dir().string(), "--prefix", prefix},
                                  testsupport::base_env(tmp.path()), {}, 120s);
  REQUIRE_MESSAGE(install.exit_code == 0, (install.out + install.err));
  for (const char* path : {"/bin/fluxloop", "/bin/fluxloop-agentd", "/share/man/man1/fluxloop.1.gz",
                           "/share/bash-completion/completions/fluxloop", "/share/zsh/vendor-completions/_fluxloop",
                           "/share/fish/vendor_completions.d/fluxloop.fish", "/share/doc/fluxloop-agent/copyright",
                           "/share/doc/fluxloop-agent/changelog.Debian.gz"}) {
    CHECK_MESSAGE(fs::exists(prefix + path), path);
  }
  // The installed completion is what the installed client generates.
  auto generated = testsupport::run({prefix + "/bin/fluxloop", "completion", "bash"}, testsupport::base_env(tmp.path()));
  CHECK(generated.out == testsupport::read_file(prefix + "/share/bash-completion/completions/fluxloop"));
  // man renders the page and it documents `auth token`.
  auto man = testsupport::run({"/usr/bin/man", "-l", prefix + "/share/man/man1/fluxloop.1.gz"},
                              testsupport::base_env(tmp.path(), {{"MANWIDTH", "120"}, {"MAN_KEEP_FORMATTING", ""}}));
  CHECK_MESSAGE(man.exit_code == 0, man.err);
  CHECK(contains(man.out, "auth token"));
}

TEST_CASE("systemd: socket activation hands the agent its socket") {
  REQUIRE_MESSAGE(fs::exists(kSocketActivate), "systemd-socket-activate is missing: apt-get install systemd");
  testsupport::AgentFixture f;
  // systemd creates the directory (DirectoryMode=0700) before binding; systemd-socket-activate does not.
  const std::string dir = fs::path(f.socket()).parent_path().string();
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  testsupport::Process agent({kSocketActivate, "-l", f.socket(), "--fdname=agent", testsupport::kAgentd, "--foreground"},
                             f.env(), f.dir() + "/activated.log");
  REQUIRE(testsupport::eventually([&] { return testsupport::socket_accepts(f.socket()); }, 10s));

  auto fd = servertest::connect_to(f.socket());
  REQUIRE(fd);
  REQUIRE(servertest::send_all(fd.get(), proto::encode_request(1, proto::AgentStatus{})));
  auto body = servertest::recv_frame(fd.get(), 20s);
  REQUIRE_MESSAGE(body, testsupport::read_file(f.dir() + "/activated.log"));
  auto status = proto::decode_reply<proto::AgentStatusReply>(*body, 1);
  REQUIRE_MESSAGE(status.ok(), status.error().message);
  CHECK(status->pid == agent.pid());  // systemd-socket-activate execs the agent in place
  CHECK(status->socket == f.socket());
  CHECK(status->launch == proto::LaunchMode::systemd_socket);

  // The real client, over the activated socket.
  auto client = f.client({"agent", "status"});
  CHECK_MESSAGE(client.exit_code == 0, client.err);
  CHECK_MESSAGE(contains(client.out, "started by   systemd socket activation"), client.out);

  const std::string log = testsupport::read_file(f.dir() + "/activated.log");
  CHECK(contains(log, "socket from systemd"));
  CHECK_FALSE(fs::exists(f.socket() + ".lock"));  // systemd serialises; no lock of ours

  // Shutdown leaves the socket to systemd, which owns it.
  agent.signal(SIGTERM);
  CHECK(agent.wait(20s) == 0);
  CHECK(fs::exists(f.socket()));
}

TEST_CASE("systemd: without LISTEN_FDS for our pid the agent creates its own socket") {
  // LISTEN_PID naming another process: sd_listen_fds must ignore the variables (they were not for us).
  testsupport::AgentFixture f({{"LISTEN_FDS", "1"}, {"LISTEN_PID", "1"}, {"LISTEN_FDNAMES", "agent"}});
  f.start();
  CHECK_FALSE(contains(f.log(), "socket from systemd"));
  CHECK(fs::exists(f.socket() + ".lock"));
  CHECK(f.stop() == 0);
  CHECK_FALSE(fs::exists(f.socket()));
}
