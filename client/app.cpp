#include "client/app.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>

#include "client/autostart.hpp"
#include "client/precedence.hpp"
#include "proto/paths.hpp"

namespace client {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

constexpr std::string_view kApiKeyOption = "--api-key";

void overwrite(char* text) noexcept { std::memset(text, 'x', std::strlen(text)); }

std::string first_set(const std::function<std::string(const char*)>& get, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (std::string value = get(name); !value.empty()) return value;
  }
  return {};
}

}  // namespace

void scrub_secret_arguments(int argc, char** argv) noexcept {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == nullptr) continue;
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == kApiKeyOption && i + 1 < argc && argv[i + 1] != nullptr) {
      overwrite(argv[++i]);
    } else if (arg.size() > kApiKeyOption.size() && arg.starts_with(kApiKeyOption) && arg[kApiKeyOption.size()] == '=') {
      overwrite(argv[i] + kApiKeyOption.size() + 1);
    } else if (api_key_format_ok(arg)) {
      overwrite(argv[i]);  // `apikeys info/revoke KEY` given the key itself
    }
  }
}

Environment Environment::from(const std::function<std::string(const char*)>& get) {
  Environment e;
  e.socket_path = proto::default_socket_path();
  e.socket_is_default = !proto::socket_path_from_environment();
  e.home = get("FLUXLOOP_HOME");
  if (e.home.empty()) {
    if (const std::string user_home = get("HOME"); !user_home.empty()) e.home = user_home + "/.fluxloop";
  }
  e.profile = get("FLUXLOOP_PROFILE");
  e.token = get("FLUXLOOP_TOKEN");
  // The platform CLI's names are aliases; the contract's own name wins when both are set.
  e.api_key = first_set(get, {"FLUXLOOP_API_KEY", "FLUXLOOP_SYNC_API_KEY"});
  e.api_endpoint = first_set(get, {"FLUXLOOP_API_ENDPOINT", "FLUXLOOP_API_URL", "FLUXLOOP_SYNC_URL"});
  e.no_autostart = get("FLUXLOOP_NO_AUTOSTART") == "1";
  return e;
}

Environment Environment::from_process() { return from(env); }

Outcome<AgentConnection*> App::connect(Autostart autostart) {
  if (connection_) return &*connection_;
  const std::string& path = env_.socket_path;
  auto use = [this](AgentConnection connection) {
    connected_path_ = connection.path();
    return &connection_.emplace(std::move(connection));
  };
  if (env_.socket_is_default) {
    // Nobody vouches for a default path: a directory someone else made first would get our requests.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    FLUXLOOP_CHECK(ensure_private_socket_dir(dir));
  }
  auto first = AgentConnection::open(path);
  if (first) return use(std::move(first).value());

  Failure failure = std::move(first).error();
  if (failure.kind == FailureKind::local) return failure;  // refused: a server of another uid
  if (failure.kind != FailureKind::no_listener) {
    failure.message += ": check that FLUXLOOP_AGENT_SOCK names the socket of your own agent";
    return failure;
  }
  if (env_.socket_is_default) {
    // One agent per FLUXLOOP_HOME: the one already running (a desktop agent, seen from an ssh session
    // whose default path differs) serves us, rather than a second agent that would fight it for the login.
    if (const std::string recorded = recorded_agent_socket(env_.home); !recorded.empty() && recorded != path) {
      auto found = AgentConnection::open(recorded);
      if (found) return use(std::move(found).value());
      if (found.error().kind == FailureKind::local) return std::move(found).error();
    }
  }
  if (autostart == Autostart::never) return failure;  // the caller words this case itself
  if (env_.no_autostart) {
    failure.message += ": start it with `fluxloop-agentd --daemon`, or unset FLUXLOOP_NO_AUTOSTART";
    return failure;
  }

  auto started = start_agent(path);
  // Retry even when the start failed: a second client racing us may have started the agent, and
  // then our own agentd exits non-zero ("agent already running") while the socket does answer.
  auto second = AgentConnection::open(path);
  if (second) return use(std::move(second).value());
  Failure again = std::move(second).error();
  if (again.kind == FailureKind::local) return again;
  if (!started) {
    again.message += "; " + started.error().message;
  } else {
    again.message += " although fluxloop-agentd --daemon reported success; run `fluxloop-agentd --foreground --socket " +
                     path + "` to see what it does";
  }
  again.kind = FailureKind::unreachable;
  return again;
}

}  // namespace client
