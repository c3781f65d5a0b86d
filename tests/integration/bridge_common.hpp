// Helpers of the CLI bridge tests (bridge_test.cpp, bridge_platform_test.cpp).
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace bridgetest {

// Fake secrets: distinctive, so a test can look for them in files, logs and environments.
inline constexpr const char* kAccess = "flx_bridgeaccess_1111aaaa2222bbbb";
inline constexpr const char* kRefresh = "flx_refresh_bridgerefresh_3333cccc";
inline constexpr const char* kAccess2 = "flx_bridgeaccess_5555dddd6666eeee";
inline constexpr const char* kRefresh2 = "flx_refresh_bridgerefresh_7777ffff";

// The bridge file of an agent fixture: its HOME is the fixture's directory.
inline std::string bridge_path(testsupport::AgentFixture& f) { return f.dir() + "/.fluxloop/auth.json"; }

// auth.json as the platform CLI writes it.
inline std::string platform_login(const std::string& access, const std::string& refresh, int expires_in) {
  nlohmann::json document = {{"access_token", access},
                             {"refresh_token", refresh},
                             {"expires_at", testsupport::rfc3339_from_now(std::chrono::seconds(expires_in))},
                             {"user_id", "user-1"},
                             {"user_email", "user@example.com"}};
  return document.dump(2);
}

// True when the file at `path` exists and shows `access` as its access token.
inline bool shows(const std::string& path, const std::string& access) {
  if (!std::filesystem::exists(path)) return false;
  auto document = nlohmann::json::parse(testsupport::read_file(path), nullptr, false);
  return document.is_object() && document.value("access_token", "") == access;
}

inline unsigned mode_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// bridge_sync: answers once the agent has looked at the bridge file after this call (a barrier for
// checks that something did NOT happen). Throws when the agent answers an error.
inline proto::BridgeSyncReply looked(testsupport::AgentFixture& f, std::int64_t min_valid = 0) {
  auto reply = testsupport::agent_request(f.socket(), proto::BridgeSync{.min_valid = min_valid});
  if (!reply) throw std::runtime_error("bridge_sync failed: " + reply.error().message);
  return *reply;
}

// Imports a platform CLI login (the file shape with user_id) into the default profile.
inline void import_login(testsupport::AgentFixture& f, const std::string& access, const std::string& refresh) {
  const std::string seed = f.dir() + "/seed.json";
  testsupport::write_file(seed, platform_login(access, refresh, 3600));
  auto imported = f.client({"auth", "import", seed});
  std::filesystem::remove(seed);
  if (imported.exit_code != 0) throw std::runtime_error("import failed: " + imported.err);
}

// A stand-in platform CLI in its own directory: prints its arguments and stdin, writes to stderr,
// saves its environment and the auth.json it found into $STANDIN_DIR, exits 7. Returns the directory.
inline std::string make_standin(testsupport::AgentFixture& f) {
  const std::string dir = f.dir() + "/platform-cli";
  std::filesystem::create_directories(dir);
  testsupport::write_file(dir + "/fluxloop",
                          "#!/bin/sh\n"
                          "for a in \"$@\"; do printf 'arg:%s\\n' \"$a\"; done\n"
                          "cat\n"
                          "echo to-stderr >&2\n"
                          "env > \"$STANDIN_DIR/env.txt\"\n"
                          "cat \"$HOME/.fluxloop/auth.json\" > \"$STANDIN_DIR/auth.txt\" 2>/dev/null\n"
                          "exit 7\n",
                          0755);
  return dir;
}

}  // namespace bridgetest
