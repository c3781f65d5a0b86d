// `fluxloop auth login | refresh | logout`. The agent runs the redirect listener and every token
// exchange; the client only shows the URL or code and opens the browser, because it runs in the
// user's desktop session and the agent may not. Pure helpers are declared here for unit tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "client/app.hpp"
#include "proto/messages.hpp"

namespace client {

struct AuthLoginOptions {
  std::string profile;      // --profile
  bool device = false;      // --device
  bool no_browser = false;  // --no-browser
  bool no_wait = false;     // --no-wait: show the URL and code, return; the agent finishes the login
};
struct AuthRefreshOptions {
  std::string profile;  // --profile
};
struct AuthLogoutOptions {
  std::string profile;  // --profile
};

// Environment variables by name, as read for one decision (only the ones a function looks at matter).
using EnvMap = std::map<std::string, std::string, std::less<>>;

// True for an SSH session without a graphical display: SSH_CONNECTION or SSH_TTY set (non-empty) and
// neither DISPLAY nor WAYLAND_DISPLAY. A browser opened there would open on the wrong machine, if at all.
bool looks_remote(const EnvMap& env);
// The variables looks_remote and browser_command read, taken from the process environment.
EnvMap session_environment();

// What `auth login` sends, and whether the device flow was chosen because the session looks remote
// (so the client can say so). --device always means device; --no-browser keeps the browser flow (only
// printing the URL) even in a remote session; otherwise a remote session gets the device flow.
struct LoginPlan {
  proto::LoginStart request;
  bool device_because_remote = false;
};
LoginPlan login_plan(const AuthLoginOptions& options, const Environment& env, bool remote);

// The command that opens `url`: $BROWSER split on spaces and tabs (like gh), the URL appended as one
// more argument, never through a shell; `xdg-open URL` when BROWSER is empty or blank.
std::vector<std::string> browser_command(std::string_view browser_env, const std::string& url);

// Opens a URL with `command` (browser_command's result): no shell, stdio on /dev/null, the
// environment minus FLUXLOOP_TOKEN and FLUXLOOP_API_KEY, in a session of its own, never our child
// (no zombie, no Ctrl-C). Waits at most a moment: fails (exit 1, with a message) when the command
// cannot run or exits non-zero within it; a command still running then counts as opened.
Outcome<proto::Ok> open_browser(const std::vector<std::string>& command);

// How long to wait for login_wait: the time the user has (`expires_in`, clamped to a sane range)
// plus a margin, so the agent's own deadline always ends the wait first with a clear error.
int login_wait_timeout_ms(std::int64_t expires_in);

proto::AuthRefresh refresh_request(const std::string& profile_flag, const Environment& env);
proto::AuthLogout logout_request(const std::string& profile_flag, const Environment& env);

// Each returns the process exit code (CONTRACT.md); messages go to stderr.
int auth_login(App& app, const AuthLoginOptions& options);
int auth_refresh(App& app, const AuthRefreshOptions& options);
int auth_logout(App& app, const AuthLogoutOptions& options);

}  // namespace client
