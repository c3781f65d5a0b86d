// auth login/refresh/logout without an agent: argument -> request mapping, remote-session detection,
// the browser command, the wait timeout, and opening a "browser" for real (sh scripts).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "client/commands_login.hpp"
#include "tests/support/process.hpp"

namespace {

using client::EnvMap;

client::Environment env_with_profile(std::string profile) {
  client::Environment env;
  env.socket_path = "/tmp/unused.sock";
  env.profile = std::move(profile);
  return env;
}

// Sets a variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST_CASE("looks_remote: SSH without a display is remote") {
  CHECK_FALSE(client::looks_remote({}));
  CHECK(client::looks_remote({{"SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22"}}));
  CHECK(client::looks_remote({{"SSH_TTY", "/dev/pts/3"}}));
  CHECK_FALSE(client::looks_remote({{"SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22"}, {"DISPLAY", "localhost:10.0"}}));
  CHECK_FALSE(client::looks_remote({{"SSH_TTY", "/dev/pts/3"}, {"WAYLAND_DISPLAY", "wayland-0"}}));
  CHECK_FALSE(client::looks_remote({{"DISPLAY", ":0"}}));
  // Set but empty counts as unset, as shells treat `VAR=` .
  CHECK_FALSE(client::looks_remote({{"SSH_CONNECTION", ""}, {"SSH_TTY", ""}}));
  CHECK(client::looks_remote({{"SSH_TTY", "/dev/pts/3"}, {"DISPLAY", ""}}));
}

TEST_CASE("auth login: the request carries the chosen profile and the flow") {
  auto env = env_with_profile("envprofile");
  auto plan = client::login_plan({.profile = "staging", .device = false, .no_browser = false}, env, false);
  CHECK(plan.request.profile == "staging");
  CHECK_FALSE(plan.request.device);
  CHECK_FALSE(plan.device_because_remote);

  plan = client::login_plan({.profile = "", .device = true, .no_browser = false}, env, false);
  CHECK(plan.request.profile == "envprofile");
  CHECK(plan.request.device);
  CHECK_FALSE(plan.device_because_remote);

  env.profile.clear();
  plan = client::login_plan({}, env, false);
  CHECK(plan.request.profile.empty());  // the agent applies its default
}

TEST_CASE("auth login: a remote session gets the device flow unless --no-browser or --device says otherwise") {
  const auto env = env_with_profile("");
  auto plan = client::login_plan({}, env, true);
  CHECK(plan.request.device);
  CHECK(plan.device_because_remote);

  plan = client::login_plan({.profile = "", .device = false, .no_browser = true}, env, true);
  CHECK_FALSE(plan.request.device);
  CHECK_FALSE(plan.device_because_remote);

  plan = client::login_plan({.profile = "", .device = true, .no_browser = false}, env, true);
  CHECK(plan.request.device);
  CHECK_FALSE(plan.device_because_remote);  // asked for: nothing to explain
}

TEST_CASE("auth refresh and logout: --profile beats FLUXLOOP_PROFILE beats the agent's default") {
  auto env = env_with_profile("envprofile");
  CHECK(client::refresh_request("flag", env).profile == "flag");
  CHECK(client::refresh_request("", env).profile == "envprofile");
  CHECK(client::logout_request("flag", env).profile == "flag");
  CHECK(client::logout_request("", env).profile == "envprofile");
  env.profile.clear();
  CHECK(client::refresh_request("", env).profile.empty());
  CHECK(client::logout_request("", env).profile.empty());
}

TEST_CASE("browser_command: BROWSER split on blanks with the URL appended or else xdg-open") {
  const std::string url = "https://example.test/authorize?a=1&b=2";
  CHECK(client::browser_command("", url) == std::vector<std::string>{"xdg-open", url});
  CHECK(client::browser_command("  \t ", url) == std::vector<std::string>{"xdg-open", url});
  CHECK(client::browser_command("firefox", url) == std::vector<std::string>{"firefox", url});
  CHECK(client::browser_command(" firefox  --new-window\t-P x ", url) ==
        std::vector<std::string>{"firefox", "--new-window", "-P", "x", url});
  // No shell: metacharacters stay literal words.
  CHECK(client::browser_command("echo $HOME;rm", url) == std::vector<std::string>{"echo", "$HOME;rm", url});
}

TEST_CASE("login_wait_timeout_ms: the user's time plus a margin and never overflowing") {
  CHECK(client::login_wait_timeout_ms(300) == 360'000);
  CHECK(client::login_wait_timeout_ms(0) == 60'000);
  CHECK(client::login_wait_timeout_ms(-5) == 60'000);
  CHECK(client::login_wait_timeout_ms(std::int64_t{1} << 40) == (24 * 3600 + 60) * 1000);
}

TEST_CASE("open_browser: runs the command without secrets in its environment and does not wait for it") {
  testsupport::TempDir dir;
  const std::string env_dump = dir.path() + "/env";
  const std::string script = dir.path() + "/browser.sh";
  testsupport::write_file(script, "#!/bin/sh\nenv > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\necho noise; echo noise >&2\n", 0700);
  ScopedEnv token("FLUXLOOP_TOKEN", "unit-token-value");
  ScopedEnv key("FLUXLOOP_API_KEY", "flx_api_unitkeyvalue");
  ScopedEnv kept("FLUXLOOP_UNIT_MARKER", "kept");

  auto opened = client::open_browser({script, env_dump});
  CHECK_MESSAGE(opened.ok(), (opened ? "" : opened.error().message));
  REQUIRE(testsupport::eventually([&] { return std::filesystem::exists(env_dump); }));
  const std::string env = testsupport::read_file(env_dump);
  CHECK(env.find("FLUXLOOP_UNIT_MARKER=kept") != std::string::npos);
  CHECK(env.find("FLUXLOOP_TOKEN") == std::string::npos);
  CHECK(env.find("FLUXLOOP_API_KEY") == std::string::npos);
  CHECK(env.find("unit-token-value") == std::string::npos);

  // A browser that keeps running: opened after a moment, and never our child (no zombie later).
  const auto start = std::chrono::steady_clock::now();
  opened = client::open_browser({"sleep", "5"});
  CHECK(opened.ok());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  // None of this process's children is that browser (other cases of this binary may have left
  // children of their own, such as a helper waiting out its idle time).
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::istringstream children(testsupport::read_file((task.path() / "children").string()));
    for (std::string pid; children >> pid;) {
      CHECK_MESSAGE(testsupport::read_file("/proc/" + pid + "/comm") != "sleep\n", "the browser is our child: pid ", pid);
    }
  }
}

TEST_CASE("open_browser: a missing command or a quick failure is reported") {
  auto missing = client::open_browser({"/nonexistent/fluxloop-browser", "https://example.test/"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("was not found or could not run") != std::string::npos);
  CHECK(missing.error().message.find("/nonexistent/fluxloop-browser") != std::string::npos);

  auto failing = client::open_browser({"sh", "-c", "exit 3", "https://example.test/"});
  REQUIRE_FALSE(failing.ok());
  CHECK(failing.error().message.find("exited with status 3") != std::string::npos);

  auto xdg = client::open_browser({"/nonexistent/xdg-open", "https://example.test/"});
  REQUIRE_FALSE(xdg.ok());
}
