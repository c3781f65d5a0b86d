#include "client/commands_login.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "client/autostart.hpp"
#include "client/output.hpp"
#include "client/precedence.hpp"
#include "proto/text.hpp"

extern char** environ;

namespace client {
namespace {

// login_start makes up to two HTTPS requests in the agent (discovery, device authorization), each
// bounded by the agent's 30 s total timeout; refresh likewise (discovery, token).
constexpr int kLoginStartTimeoutMs = 90'000;
constexpr int kRefreshTimeoutMs = 90'000;
// Logout may wait for a refresh in flight, then discover and revoke two tokens.
constexpr int kLogoutTimeoutMs = 150'000;
// The agent ends a login at `expires_in` but notices only after its current poll interval and poll
// request (up to 30 s), so the client waits that much longer: its own timeout never wins the race.
constexpr std::int64_t kLoginWaitMarginSeconds = 60;
constexpr std::int64_t kMaxLoginSeconds = 24 * 60 * 60;  // a server's nonsense cannot overflow the timeout
// A launcher (xdg-open, a browser's remote-control front end) hands the URL over and exits at once;
// a failure to open shows up as a quick non-zero exit. A browser still running after this long is
// taken as opened, and left running on its own.
constexpr auto kBrowserGrace = std::chrono::milliseconds(1500);
constexpr auto kBrowserPoll = std::chrono::milliseconds(10);
constexpr int kSpawnFailedStatus = 127;  // like a shell's "command not found"
constexpr std::string_view kSessionVariables[] = {"SSH_CONNECTION", "SSH_TTY", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"};

bool set(const EnvMap& env, std::string_view name) {
  auto it = env.find(name);
  return it != env.end() && !it->second.empty();
}

std::string describe_status(int status) {
  return status == kSpawnFailedStatus ? std::string("was not found or could not run")
                                      : "exited with status " + std::to_string(status);
}

// The browser helper: runs in a forked child of the client, spawns the browser in a session of its
// own, waits at most kBrowserGrace and exits with the browser's status (0 when still running). The
// browser is therefore never our child: when the helper exits it is adopted and reaped by init, so
// a long login wait leaves no zombie, and Ctrl-C in the terminal does not reach it.
[[noreturn]] void run_browser_helper(char* const argv[], char* const envp[]) {
  // stdio on /dev/null, for the helper too: a browser's chatter must not land in the user's terminal
  // or our stdout, and nothing of ours may keep a pipe that our caller reads to its end open.
  const int null_in = ::open("/dev/null", O_RDONLY);
  const int null_out = ::open("/dev/null", O_WRONLY);
  if (null_in < 0 || null_out < 0) ::_exit(kSpawnFailedStatus);
  ::dup2(null_in, STDIN_FILENO);
  ::dup2(null_out, STDOUT_FILENO);
  ::dup2(null_out, STDERR_FILENO);
  if (null_in > STDERR_FILENO) ::close(null_in);
  if (null_out > STDERR_FILENO) ::close(null_out);
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t browser = -1;
  if (::posix_spawnp(&browser, argv[0], nullptr, &attr, argv, envp) != 0) ::_exit(kSpawnFailedStatus);
  const auto deadline = std::chrono::steady_clock::now() + kBrowserGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(browser, &status, WNOHANG);
    if (r == browser) {
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      ::_exit(std::min(255, 128 + WTERMSIG(status)));
    }
    if (r < 0 && errno != EINTR) ::_exit(0);
    timespec ts{0, static_cast<long>(std::chrono::nanoseconds(kBrowserPoll).count())};
    ::nanosleep(&ts, nullptr);
  }
  ::_exit(0);
}

// The URL, the code and (on a terminal) a QR code: the device login's and CLI connect's display.
void show_code(const proto::LoginStartReply& s) {
  std::string text = "to log in to profile " + s.profile + ", open\n\n    " + s.verification_uri +
                     "\n\nin a browser on any device and enter the code\n\n    " + s.user_code + "\n";
  if (!s.verification_uri_complete.empty() && s.verification_uri_complete != s.verification_uri) {
    text += "\n(or open " + s.verification_uri_complete + ", which fills in the code)\n";
  }
  note(text);
  // A QR code only helps where someone looks at it; in a log file it is noise.
  if (!s.qr_code.empty() && ::isatty(STDERR_FILENO)) {
    std::string qr = s.qr_code;
    if (qr.back() != '\n') qr += '\n';
    std::fwrite(qr.data(), 1, qr.size(), stderr);
  }
}

// Opens `url` unless told not to; says what to do when it cannot.
void open_or_show(const std::string& url, const AuthLoginOptions& options, const EnvMap& session) {
  if (options.no_browser) {
    note("Open this URL to log in: " + url);
    return;
  }
  auto it = session.find("BROWSER");
  const auto command = browser_command(it == session.end() ? std::string_view() : std::string_view(it->second), url);
  note("Opening " + url + " in your browser…");
  if (auto opened = open_browser(command); !opened) {
    note(opened.error().message);
    note("Open this URL to log in: " + url);
  }
}

void show_browser_login(const proto::LoginStartReply& s, const AuthLoginOptions& options, const EnvMap& session) {
  // The URL is no secret: its state and PKCE challenge are useless without the agent's verifier.
  open_or_show(s.url, options, session);
  if (!options.no_wait) note("Waiting for the login to finish in the browser…");
}

// CLI connect (fluxloop profiles): a code to confirm on the platform's page, which the client opens
// like the browser login unless the session is remote or --no-browser says not to.
void show_cli_connect_login(const proto::LoginStartReply& s, const AuthLoginOptions& options, const EnvMap& session,
                            bool remote) {
  show_code(s);
  if (!remote && !options.no_browser) open_or_show(s.verification_uri, options, session);
  if (!options.no_wait) note("Waiting for approval…");
}

}  // namespace

bool openable_login_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return false;
  }
  const char host = url[kScheme.size()];
  if (host == '/' || host == '?' || host == '#' || host == '@') return false;
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

bool looks_remote(const EnvMap& env) {
  const bool ssh = set(env, "SSH_CONNECTION") || set(env, "SSH_TTY");
  const bool display = set(env, "DISPLAY") || set(env, "WAYLAND_DISPLAY");
  return ssh && !display;
}

EnvMap session_environment() {
  EnvMap env;
  for (std::string_view name : kSessionVariables) {
    if (const char* value = std::getenv(std::string(name).c_str())) env.emplace(name, value);
  }
  return env;
}

LoginPlan login_plan(const AuthLoginOptions& options, const Environment& env, bool remote) {
  LoginPlan plan;
  plan.request.profile = choose_profile(options.profile, env.profile);
  plan.request.device = options.device;
  plan.request.api_endpoint = env.api_endpoint;  // used by the agent only for the very first profile
  if (!options.device && !options.no_browser && remote) {
    plan.request.device = true;
    plan.device_because_remote = true;
  }
  return plan;
}

std::vector<std::string> browser_command(std::string_view browser_env, const std::string& url) {
  std::vector<std::string> argv;
  std::size_t i = 0;
  while (i < browser_env.size()) {
    while (i < browser_env.size() && (browser_env[i] == ' ' || browser_env[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < browser_env.size() && browser_env[i] != ' ' && browser_env[i] != '\t') ++i;
    if (i > start) argv.emplace_back(browser_env.substr(start, i - start));
  }
  if (argv.empty()) argv.emplace_back("xdg-open");
  argv.push_back(url);
  return argv;
}

int login_wait_timeout_ms(std::int64_t expires_in) {
  const std::int64_t seconds = std::clamp<std::int64_t>(expires_in, 0, kMaxLoginSeconds) + kLoginWaitMarginSeconds;
  return static_cast<int>(seconds * 1000);
}

Outcome<proto::Ok> open_browser(const std::vector<std::string>& command) {
  if (command.empty()) return Failure{proto::kExitError, "no browser command"};
  // Everything the helper needs is prepared before fork: the child only spawns, waits and exits.
  std::vector<std::string> args = command;
  std::vector<char*> argv = c_strings(args);
  // The browser runs with the user's environment minus FLUXLOOP_TOKEN and FLUXLOOP_API_KEY: no
  // secret in a child's environment (CONTRACT.md "Security floor"), the same filter as autostart.
  std::vector<std::string> env = agent_environment(environ);
  std::vector<char*> envp = c_strings(env);

  std::fflush(nullptr);  // nothing buffered may be written twice by the child
  const pid_t helper = ::fork();
  if (helper < 0) return Failure{proto::kExitError, std::string("could not open a browser: fork failed (") + std::strerror(errno) + ")"};
  if (helper == 0) run_browser_helper(argv.data(), envp.data());
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(helper, &status, 0);
  } while (r < 0 && errno == EINTR);
  const std::string what = command.size() > 1 && command.front() == "xdg-open" ? "xdg-open" : "the BROWSER command '" + command.front() + "'";
  if (r != helper) return Failure{proto::kExitError, "could not open a browser: lost track of " + what};
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    return Failure{proto::kExitError, "could not open a browser: " + what + " " + describe_status(code) +
                                   " (set BROWSER to your browser's command, or use --no-browser)"};
  }
  return proto::Ok{};
}

proto::AuthRefresh refresh_request(const std::string& profile_flag, const Environment& env) {
  return proto::AuthRefresh{.profile = choose_profile(profile_flag, env.profile)};
}

proto::AuthLogout logout_request(const std::string& profile_flag, const Environment& env) {
  return proto::AuthLogout{.profile = choose_profile(profile_flag, env.profile)};
}

int auth_login(App& app, const AuthLoginOptions& options) {
  const EnvMap session = session_environment();
  const LoginPlan plan = login_plan(options, app.env(), looks_remote(session));
  if (plan.device_because_remote) {
    note("this looks like a remote session (SSH without a display): using the device login "
         "(pass --no-browser to get a browser URL instead)");
  }
  auto started = app.call(plan.request, Autostart::allowed, kLoginStartTimeoutMs);
  if (!started) return report(started.error());
  const proto::LoginStartReply& s = *started;
  // Whatever the agent relays, only an https page is opened or offered: never a local file, a
  // script URL or a plain-http page someone could tamper with.
  const std::string& page = s.method == proto::LoginMethod::browser ? s.url : s.verification_uri;
  if (!openable_login_url(page)) {
    return report(Failure{proto::kExitError, "refusing the login URL the agent handed over for profile " + s.profile +
                                          ": it is not an https:// URL (" + proto::printable(page.substr(0, 64)) +
                                          "); check the profile's issuer or endpoint with `fluxloop profile list`"});
  }
  switch (s.method) {
    case proto::LoginMethod::device:
      show_code(s);
      if (!options.no_wait) note("Waiting for approval…");
      break;
    case proto::LoginMethod::browser: show_browser_login(s, options, session); break;
    case proto::LoginMethod::cli_connect: show_cli_connect_login(s, options, session, looks_remote(session)); break;
  }
  if (options.no_wait) {
    note("The agent finishes the login of profile " + s.profile + " in the background once you approve it; " +
         "`fluxloop auth status --profile " + s.profile + "` shows 'login pending' until then");
    return proto::kExitOk;
  }

  auto done = app.call(proto::LoginWait{.login_id = s.login_id}, Autostart::never, login_wait_timeout_ms(s.expires_in));
  if (!done) {
    Failure failure = std::move(done).error();
    failure.message = "login to profile " + s.profile + " failed: " + failure.message;
    if (failure.exit_code == proto::kExitPermissionDenied) {
      failure.message += "; run `fluxloop auth login --profile " + s.profile + "` to try again";
    }
    return report(failure);
  }
  note("Logged in to profile " + done->profile + (done->user_email.empty() ? "" : " as " + done->user_email));
  return proto::kExitOk;
}

int auth_refresh(App& app, const AuthRefreshOptions& options) {
  auto reply = app.call(refresh_request(options.profile, app.env()), Autostart::allowed, kRefreshTimeoutMs);
  if (!reply) return report(reply.error());
  if (reply->expires_at.empty()) note("Refreshed profile " + reply->profile);
  else note("Refreshed profile " + reply->profile + "; the new token expires at " + reply->expires_at);
  return proto::kExitOk;
}

int auth_logout(App& app, const AuthLogoutOptions& options) {
  auto reply = app.call(logout_request(options.profile, app.env()), Autostart::allowed, kLogoutTimeoutMs);
  if (!reply) return report(reply.error());
  // Exit 0 even when the server could not be told: the agent has forgotten the tokens, which is
  // what logout promises offline (CONTRACT.md); the warning says what did not happen.
  if (reply->revoked) {
    note("Logged out of profile " + reply->profile + " (tokens revoked at the server)");
  } else {
    note("Logged out of profile " + reply->profile);
    if (!reply->warning.empty()) note("warning: " + reply->warning);
  }
  return proto::kExitOk;
}

}  // namespace client
