// What the client trusts (issue 10, items 1, 5 and 8): only an agent of its own uid, only a private
// default socket directory, only https login URLs; no --api-key left in /proc/PID/cmdline; no control
// characters from servers on the terminal. The impostor is tests/support/fake_agent.py, run as uid
// 65534 with setpriv (the tests run as root) or as ourselves.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "tests/integration/trust_common.hpp"
#include "tests/support/agent_fixture.hpp"

namespace {

using namespace trusttest;
using testsupport::AgentFixture;

// Polls until the record holds `lines` lines (connections closed), or 10 s pass.
bool records(const FakeAgent& fake, std::size_t lines) {
  return testsupport::eventually([&] {
    const std::string text = fake.record();
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines;
  });
}

}  // namespace

TEST_CASE("trust: the client refuses an agent socket served by another uid and sends it nothing") {
  AgentFixture f;  // only its temp dir and environment
  const std::string shared = shared_dir(f.dir());
  const std::string socket = shared + "/evil/agent.sock";
  FakeAgent fake(Runner::nobody, socket, shared + "/record", "hang");
  const std::string key = random_key("flx_api_");

  auto r = testsupport::run({testsupport::kClient, "apikeys", "list"},
                            [&] {
                              auto env = f.env();
                              env["FLUXLOOP_AGENT_SOCK"] = socket;
                              env["FLUXLOOP_API_KEY"] = key;
                              return env;
                            }(),
                            {}, 10s);
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "refusing the agent socket " + socket));
  CHECK(contains(r.err, "uid 65534"));
  CHECK_FALSE(contains(r.err, key));
  REQUIRE(records(fake, 1));
  CHECK(fake.record() == "0\n");  // connected, checked, closed: not one byte sent
}

TEST_CASE("trust: a squatted default socket directory is refused before connecting") {
  AgentFixture f({{"FLUXLOOP_AGENT_SOCK", ""}});  // the default path: $XDG_RUNTIME_DIR/fluxloop/agent.sock
  const std::string runtime = shared_dir(f.dir());
  const std::string dir = runtime + "/fluxloop";
  FakeAgent fake(Runner::nobody, dir + "/agent.sock", runtime + "/record", "hang");
  const testsupport::Env env{{"XDG_RUNTIME_DIR", runtime}, {"FLUXLOOP_API_KEY", random_key("flx_api_")}};

  auto r = f.client({"apikeys", "list"}, {}, env);
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "refusing the agent socket directory " + dir));
  CHECK(contains(r.err, "owned by uid 65534"));
  // Nothing connected: a connection of ours would be on record before this one of the test's.
  REQUIRE(testsupport::socket_accepts(dir + "/agent.sock"));
  REQUIRE(records(fake, 1));
  CHECK(fake.record() == "0\n");
}

TEST_CASE("trust: the default socket directory is made 0700, and a group/world accessible one is refused") {
  AgentFixture f({{"FLUXLOOP_AGENT_SOCK", ""}});
  const std::string runtime = f.dir() + "/xdg";
  std::filesystem::create_directories(runtime);
  const testsupport::Env env{{"XDG_RUNTIME_DIR", runtime}};

  auto absent = f.client({"agent", "status"}, {}, env);  // nobody listens, no autostart: exit 4
  CHECK(absent.exit_code == 4);
  struct stat st{};
  REQUIRE(::lstat((runtime + "/fluxloop").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  ::chmod((runtime + "/fluxloop").c_str(), 0755);
  auto open = f.client({"agent", "status"}, {}, env);
  CHECK(open.exit_code == 5);
  CHECK(contains(open.err, "group/world accessible (mode 0755)"));
  CHECK(contains(open.err, "chmod 700 " + runtime + "/fluxloop"));
}

TEST_CASE("trust: a login URL that is not https is refused, never opened") {
  AgentFixture f;
  const std::string opened = f.dir() + "/opened";
  const std::string browser = f.dir() + "/browser.sh";
  testsupport::write_file(browser, "#!/bin/sh\necho \"$@\" > " + opened + "\n", 0700);
  FakeAgent fake(Runner::root, f.socket(), f.dir() + "/record", "reply",
                 {{"login_id", "l1"}, {"profile", "dev"}, {"method", "browser"}, {"url", "http://evil.example/login"},
                  {"expires_in", 60}});

  auto r = f.client({"auth", "login", "--profile", "dev"}, {}, {{"BROWSER", browser}});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "refusing the login URL"));
  CHECK_FALSE(std::filesystem::exists(opened));
}

TEST_CASE("trust: --api-key is gone from /proc/PID/cmdline while the client waits") {
  AgentFixture f;
  FakeAgent fake(Runner::root, f.socket(), f.dir() + "/record", "hang");  // never answers
  const std::string key = random_key("flx_api_");
  testsupport::Process client({testsupport::kClient, "apikeys", "list", "--api-key", key}, f.env(), f.dir() + "/client.log");
  const std::string cmdline_path = "/proc/" + std::to_string(client.pid()) + "/cmdline";
  std::string cmdline;
  // The client parses in microseconds; then the value in argv is x's while it waits for the agent.
  const bool scrubbed = testsupport::eventually([&] {
    cmdline = testsupport::read_file(cmdline_path);
    return contains(cmdline, "apikeys") && contains(cmdline, std::string(key.size(), 'x'));
  }, 10s);
  CHECK(scrubbed);
  CHECK_FALSE(contains(cmdline, key));
  CHECK(client.running());  // still waiting: the check above is of a live client
  client.signal(SIGKILL);
}

TEST_CASE("trust: control characters in what the agent relays never reach the terminal") {
  AgentFixture f;
  FakeAgent fake(Runner::root, f.socket(), f.dir() + "/record", "reply",
                 {{"ok", false}, {"error", {{"code", "invalid_argument"}, {"message", "bad \x1b[31mred\x07 \x1b]0;title\x07thing"}}}});
  auto r = f.client({"agent", "status"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "bad red thing"));
  CHECK_FALSE(contains(r.err, "\x1b"));
  CHECK_FALSE(contains(r.err, "\x07"));
}
