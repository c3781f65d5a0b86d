#include "client/passthrough.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "client/output.hpp"
#include "proto/messages_bridge.hpp"

extern char** environ;

namespace client {
namespace {

constexpr std::string_view kPlatformCliName = "fluxloop";
constexpr std::string_view kInstallHint =
    "install the FluxLoop platform CLI with `pip install fluxloop-cli` (after this fluxloop on PATH), or set "
    "FLUXLOOP_PLATFORM_CLI to its path";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool is_executable_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The first executable `name` on `path_list` that is not `self`.
std::optional<std::string> search_path(std::string_view name, std::string_view path_list, std::optional<FileId> self) {
  std::size_t start = 0;
  while (start <= path_list.size()) {
    std::size_t end = path_list.find(':', start);
    if (end == std::string_view::npos) end = path_list.size();
    std::string dir(path_list.substr(start, end - start));
    start = end + 1;
    if (dir.empty()) dir = ".";  // POSIX: an empty PATH entry is the current directory
    const std::string candidate = dir + "/" + std::string(name);
    if (!is_executable_file(candidate)) continue;
    if (self && file_id(candidate) == self) continue;  // this program, by any name or link
    return candidate;
  }
  return std::nullopt;
}

// The words that name the command, for messages: the first word, and the second when the first is one
// of this client's groups (`config set-llm`). Never more: later arguments may be secrets.
std::string command_name(int argc, char** argv) {
  std::string name = argc > 1 ? argv[1] : "";
  if (argc > 2 && argv[2][0] != '-' && (name == "auth" || name == "config" || name == "profile" || name == "agent" ||
                                         name == "apikeys")) {
    name += std::string(" ") + argv[2];
  }
  return "fluxloop " + name;
}

// Asks the agent to make the bridge file fresh. Best effort: without a login or an agent, the platform
// CLI still runs (many of its commands need neither) and says itself what it needs.
void freshen(App& app) {
  auto reply = app.call(proto::BridgeSync{.min_valid = kPassThroughMinValid});
  if (!reply) {
    const Failure& failure = reply.error();
    // No agent and none may be started: nothing to freshen, and nothing to say.
    if (failure.kind == FailureKind::no_listener) return;
    note("could not freshen the platform CLI's login in the agent: " + failure.message);
    return;
  }
  if (reply->state == proto::BridgeState::locked) note("the agent is locked, so the platform CLI finds no login: run `fluxloop agent unlock`");
}

}  // namespace

std::optional<FileId> file_id(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::optional<std::string> find_platform_cli(const std::string& named, std::string_view path_list,
                                             std::optional<FileId> self) {
  if (!named.empty()) {
    if (named.find('/') == std::string::npos) return search_path(named, path_list, self);
    if (!is_executable_file(named) || (self && file_id(named) == self)) return std::nullopt;
    return named;
  }
  return search_path(kPlatformCliName, path_list, self);
}

int pass_through(App& app, int argc, char** argv) {
  const std::string command = command_name(argc, argv);
  if (!env(kPassThroughMarker).empty()) {
    note("`" + command + "` came back to this fluxloop from the platform CLI it runs (a loop on PATH?): " +
         std::string(kInstallHint));
    return proto::kExitUsage;
  }
  const std::string named = env("FLUXLOOP_PLATFORM_CLI");
  auto cli = find_platform_cli(named, env("PATH"), file_id("/proc/self/exe"));
  if (!cli) {
    if (!named.empty()) {
      note("`" + command + "` is run by the FluxLoop platform CLI, but FLUXLOOP_PLATFORM_CLI (" + named +
           ") is not an executable other than this fluxloop: fix it, or unset it to search PATH");
    } else {
      note("`" + command + "` is not a command of this fluxloop, and no FluxLoop platform CLI was found to run it: " +
           std::string(kInstallHint));
    }
    return proto::kExitUsage;
  }
  freshen(app);
  app.disconnect();  // the socket must not leak into the platform CLI
  std::fflush(stdout);
  std::fflush(stderr);
  ::setenv(kPassThroughMarker, "1", 1);
  // Same arguments after argv[0]; argv[0] is the program run, as a shell would pass it.
  std::vector<char*> args;
  args.push_back(cli->data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execve(cli->c_str(), args.data(), environ);
  note("cannot run the platform CLI " + *cli + ": " + std::strerror(errno));
  return proto::kExitError;
}

}  // namespace client
