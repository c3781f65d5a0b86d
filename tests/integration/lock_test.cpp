// `agent lock` / `agent unlock` with the real agent, client and emulator: nothing secret is served
// while locked, refreshes go on, a wrong passphrase is permission denied, no terminal means no prompt,
// and the terminal prompt (driven through a real pty) neither echoes the passphrase nor leaves the
// terminal without echo when interrupted.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using nlohmann::json;

constexpr const char* kClientId = "fluxloop-cli";
constexpr const char* kProfile = "locked";
constexpr const char* kPassphrase = "tr0ub4dor & 3";

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

void import_profile(PlatformFixture& p, AgentFixture& f) { testsupport::import_seeded(p, f, kProfile, kClientId); }

bool agent_locked(AgentFixture& f) {
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  return json::parse(status.out).value("locked", false);
}

// Runs the client under a fresh pseudo-terminal (its controlling terminal, so /dev/tty is the pty)
// and plays a script: wait for a prompt, type a line; or send Ctrl-C. Reports the exit, the whole
// terminal transcript and whether echo is on once the client has gone.
constexpr const char* kPtyDriver = R"PY(
import json, os, select, subprocess, sys, termios, time, fcntl
plan = json.load(sys.stdin)
master, slave = os.openpty()
def make_controlling():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
child = subprocess.Popen(plan["argv"], env=plan["env"], stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=make_controlling, close_fds=True)
transcript = b""
def read_until(needle, timeout=5.0):
    global transcript
    end = time.time() + timeout
    while needle.encode() not in transcript and time.time() < end:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                transcript += os.read(master, 4096)
            except OSError:
                return False
    return needle.encode() in transcript
ok = True
for kind, text in plan["steps"]:
    if kind == "expect":
        ok = ok and read_until(text)
    elif kind == "send":
        time.sleep(0.1)  # let the client switch echo off after printing its prompt
        os.write(master, text.encode())
try:
    code = child.wait(timeout=10)
except subprocess.TimeoutExpired:
    child.kill()
    code = -999
end = time.time() + 0.5
while time.time() < end:
    ready, _, _ = select.select([master], [], [], 0.05)
    if not ready:
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
echo = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
print(json.dumps({"exit": code, "prompts_seen": ok, "transcript": transcript.decode("utf-8", "replace"), "echo_after": echo}))
)PY";

json run_in_pty(AgentFixture& f, const std::vector<std::string>& args, const json& steps) {
  const std::string driver = f.dir() + "/pty_driver.py";
  testsupport::write_file(driver, kPtyDriver, 0600);
  std::vector<std::string> argv{testsupport::kClient};
  argv.insert(argv.end(), args.begin(), args.end());
  json plan = {{"argv", argv}, {"env", f.env()}, {"steps", steps}};
  auto result = testsupport::run({"/usr/bin/python3", driver}, f.env(), plan.dump(), 20s);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("lock: a locked agent serves no token, keeps refreshing, refuses a wrong passphrase, unlocks") {
  PlatformFixture p({"--token-lifetime", "2", "--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  auto before = f.client({"auth", "token", "--profile", kProfile});
  REQUIRE(before.exit_code == 0);

  auto locked = f.client({"agent", "lock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n");
  REQUIRE_MESSAGE(locked.exit_code == 0, locked.err);
  CHECK(agent_locked(f));

  p.reset_stats();
  auto refused = f.client({"auth", "token", "--profile", kProfile});
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(contains(refused.err, "locked"));
  CHECK(contains(refused.err, "fluxloop agent unlock"));
  // The raw op too, so no client-side shortcut hides an agent that would answer.
  auto raw = testsupport::agent_request(f.socket(), proto::GetToken{.profile = kProfile, .min_valid = 0});
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.error().code == proto::ErrorCode::locked);
  // Masked status still works while locked.
  CHECK(f.client({"auth", "status", "--profile", kProfile}).exit_code == 0);

  // Refreshes go on while locked (2 s tokens: the proactive refresh is due within a second or two).
  CHECK(testsupport::eventually([&] { return p.stats()["refreshes_succeeded"].get<int>() >= 1; }, 5s));

  auto again = f.client({"agent", "lock", "--passphrase-fd", "0"}, "other\n");
  CHECK(again.exit_code == 1);
  CHECK(contains(again.err, "already locked"));

  auto wrong = f.client({"agent", "unlock", "--passphrase-fd", "0"}, "tr0ub4dor & 4\n");
  CHECK(wrong.exit_code == 5);
  CHECK(contains(wrong.err, "wrong passphrase"));
  CHECK(agent_locked(f));

  auto unlocked = f.client({"agent", "unlock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n");
  REQUIRE_MESSAGE(unlocked.exit_code == 0, unlocked.err);
  CHECK_FALSE(agent_locked(f));
  auto after = f.client({"auth", "token", "--profile", kProfile});
  REQUIRE(after.exit_code == 0);
  CHECK(p.api_get("/v1/me", after.out.substr(0, after.out.size() - 1)).status == 200);
  CHECK(p.stats()["expired_token_uses"] == 0);

  // Neither passphrase reached the agent's log.
  CHECK_FALSE(contains(f.log(), kPassphrase));
  CHECK_FALSE(contains(f.log(), "tr0ub4dor"));
}

TEST_CASE("lock: without a terminal and without --passphrase-fd, lock and unlock fail at once (exit 1)") {
  AgentFixture f;
  f.start();
  const auto started = std::chrono::steady_clock::now();
  auto lock = f.client({"agent", "lock"});  // stdin is an empty pipe, not a terminal
  CHECK(lock.exit_code == 1);
  CHECK(contains(lock.err, "not a terminal"));
  CHECK(contains(lock.err, "--passphrase-fd"));
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK_FALSE(agent_locked(f));

  REQUIRE(f.client({"agent", "lock", "--passphrase-fd", "0"}, "pw\n").exit_code == 0);
  auto unlock = f.client({"agent", "unlock"});
  CHECK(unlock.exit_code == 1);
  CHECK(contains(unlock.err, "not a terminal"));
  CHECK(agent_locked(f));
  // An empty passphrase is refused, not accepted as "no lock".
  REQUIRE(f.client({"agent", "unlock", "--passphrase-fd", "0"}, "pw\n").exit_code == 0);
  auto empty = f.client({"agent", "lock", "--passphrase-fd", "0"}, "\n");
  CHECK(empty.exit_code == 1);
  CHECK_FALSE(agent_locked(f));
}

TEST_CASE("lock: the terminal prompt asks twice without echo, Ctrl-C leaves echo on") {
  AgentFixture f;
  f.start();
  auto locked = run_in_pty(f, {"agent", "lock"},
                           json::array({{"expect", "Passphrase to lock the agent: "},
                                        {"send", std::string(kPassphrase) + "\n"},
                                        {"expect", "Repeat the passphrase: "},
                                        {"send", std::string(kPassphrase) + "\n"},
                                        {"expect", "agent locked"}}));
  CHECK(locked["exit"] == 0);
  CHECK(locked["prompts_seen"] == true);
  CHECK(locked["echo_after"] == true);
  const std::string transcript = locked["transcript"];
  CHECK_FALSE(contains(transcript, "tr0ub4dor"));  // typed, never echoed
  CHECK(agent_locked(f));

  // A wrong passphrase typed at the prompt: permission denied, not echoed, still locked.
  auto wrong = run_in_pty(f, {"agent", "unlock"},
                           json::array({{"expect", "Passphrase to unlock the agent: "}, {"send", "wrong one\n"}}));
  CHECK(wrong["exit"] == 5);
  CHECK_FALSE(contains(wrong["transcript"].get<std::string>(), "wrong one"));
  CHECK(agent_locked(f));

  // Ctrl-C at the prompt: the client dies of SIGINT and the terminal has echo back.
  auto interrupted = run_in_pty(f, {"agent", "unlock"},
                                json::array({{"expect", "Passphrase to unlock the agent: "}, {"send", "\x03"}}));
  CHECK(interrupted["exit"] == -2);  // Popen: killed by signal 2
  CHECK(interrupted["echo_after"] == true);
  CHECK(agent_locked(f));

  auto unlocked = run_in_pty(f, {"agent", "unlock"},
                             json::array({{"expect", "Passphrase to unlock the agent: "},
                                          {"send", std::string(kPassphrase) + "\n"},
                                          {"expect", "agent unlocked"}}));
  CHECK(unlocked["exit"] == 0);
  CHECK_FALSE(agent_locked(f));
}

TEST_CASE("lock: agent stop while locked, then autostart: the fresh agent is locked and unlocks with the same passphrase") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  REQUIRE(f.client({"agent", "lock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n").exit_code == 0);
  const std::string marker = f.home() + "/lock-marker.json";
  struct stat st {};
  REQUIRE(::stat(marker.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(contains(testsupport::read_file(marker), kPassphrase));

  auto stopped = f.client({"agent", "stop"});
  REQUIRE_MESSAGE(stopped.exit_code == 0, stopped.err);
  CHECK(f.agent().wait() == 0);

  // The next client command autostarts a fresh agent (found on PATH, beside the client's own).
  const std::string agent_dir = testsupport::kAgentd.substr(0, testsupport::kAgentd.rfind('/'));
  const testsupport::Env autostart{{"FLUXLOOP_NO_AUTOSTART", ""}, {"PATH", agent_dir + ":/usr/local/bin:/usr/bin:/bin"}};
  auto refused = f.client({"auth", "token", "--profile", kProfile}, {}, autostart);
  auto status = f.client({"agent", "status", "--json"});
  REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  const auto pid = json::parse(status.out).value("pid", 0);
  struct Reaper {
    int pid;
    ~Reaper() {
      if (pid > 0) ::kill(pid, SIGTERM);
    }
  } reaper{pid};
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(contains(refused.err, "locked"));
  CHECK(agent_locked(f));
  auto raw = testsupport::agent_request(f.socket(), proto::GetToken{.profile = kProfile, .min_valid = 0});
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.error().code == proto::ErrorCode::locked);

  CHECK(f.client({"agent", "unlock", "--passphrase-fd", "0"}, "not it\n").exit_code == 5);
  auto unlocked = f.client({"agent", "unlock", "--passphrase-fd", "0"}, std::string(kPassphrase) + "\n");
  REQUIRE_MESSAGE(unlocked.exit_code == 0, unlocked.err);
  CHECK_FALSE(agent_locked(f));
  CHECK(f.client({"auth", "token", "--profile", kProfile}).exit_code == 0);
  CHECK(::stat(marker.c_str(), &st) != 0);  // unlocked: the marker is gone

  // A marker this agent cannot understand keeps it from starting unlocked.
  REQUIRE(f.client({"agent", "stop"}).exit_code == 0);
  reaper.pid = 0;
  testsupport::write_file(marker, "{not json", 0600);
  REQUIRE(testsupport::eventually([&] { return !testsupport::socket_accepts(f.socket()); }, 10s));
  auto broken = f.client({"agent", "status"}, {}, autostart);
  CHECK(broken.exit_code == 4);
  CHECK(contains(broken.err + testsupport::read_file(f.home() + "/agent.log"), "lock marker"));
}
