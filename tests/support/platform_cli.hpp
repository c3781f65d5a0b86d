// Test helpers for the emulator's platform surface (/api, CLI connect; docs/platform-api.md) on top of
// PlatformFixture, and the stand-in platform CLI. Kept out of platform_fixture.hpp, which every
// integration test includes, so adding these does not recompile them all. Knobs: platform.config({...}).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/platform_fixture.hpp"

namespace testsupport {

// A stand-in for the platform's own Python CLI (tests/support/platform-cli-standin.py; run it with
// /usr/bin/python3 or directly): reads $HOME/.fluxloop/auth.json like the real one and prints
// "standin: refreshed" on stderr whenever it refreshed by itself.
inline const std::string kPlatformCliStandin =
    std::string(FLUXLOOP_TEST_SOURCE_DIR) + "/tests/support/platform-cli-standin.py";

// The environment a platform CLI (the stand-in or the real one) needs to reach `platform`:
// FLUXLOOP_API_URL, FLUXLOOP_CA_BUNDLE and SSL_CERT_FILE.
Env platform_cli_env(const PlatformFixture& platform);

// One counter of GET /_emulator/stats ("too_fast_polls", "refresh_token_reuse", "expired_token_used",
// …); throws std::runtime_error if the emulator has no such counter.
std::uint64_t counter(PlatformFixture& platform, const std::string& name);

// GET /_emulator/cli-connect: {"logins": [{"user_code","status","polls","too_fast_polls","interval"}]}.
nlohmann::json cli_connect_logins(PlatformFixture& platform);
// Waits until a CLI-connect login is pending (someone called /api/cli-connect/start) and returns its
// user code (any one if several). Throws after `timeout`.
std::string wait_for_cli_connect_login(PlatformFixture& platform,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(15));
// Approves / denies / expires the pending CLI-connect login with `user_code` (empty: every pending
// one); `email` is the user it logs in. Throws when none matched.
void approve_cli_connect(PlatformFixture& platform, const std::string& user_code = {}, const std::string& email = {});
void deny_cli_connect(PlatformFixture& platform, const std::string& user_code = {});
void expire_cli_connect(PlatformFixture& platform, const std::string& user_code = {});
// A CLI-connect login without the flow: a credential {"access_token","refresh_token","expires_at",
// "user_id","user_email"} (for seeding auth.json; never print it).
nlohmann::json mint_cli_credential(PlatformFixture& platform, const std::string& email = {});
// The projects under /api (UUID ids; the first is "Demo project"), and seeding one more.
nlohmann::json platform_projects(PlatformFixture& platform);
nlohmann::json add_platform_project(PlatformFixture& platform, const std::string& name);

}  // namespace testsupport
