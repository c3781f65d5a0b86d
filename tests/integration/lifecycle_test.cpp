// Token lifecycle against the platform emulator (docs/platform-api.md), with the real agent and
// client: concurrent clients on short-lived tokens (no stale token, single-flight, proactive
// refresh), kill -9 during a rotation storm, and logout online and offline (faults: lifecycle_faults_test.cpp).
// Tokens are random per run and never printed: failures name counts and times, not values.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/lifecycle_common.hpp"

using namespace lifecycle;  // NOLINT(google-build-using-namespace): the helpers of this suite

// ---- (a) many clients, short-lived tokens -----------------------------------------------------

TEST_CASE("lifecycle: concurrent clients on 4 s tokens get no stale token with single-flight and proactive refresh" *
          doctest::test_suite("concurrency")) {
  constexpr int kLifetime = 4;
  constexpr int kThreads = 6;
  constexpr auto kStorm = 16s;
  constexpr int kMinValids[] = {1, 2};  // alternate between threads
  constexpr int kMaxMinValid = 2;

  PlatformFixture p({"--token-lifetime", std::to_string(kLifetime), "--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  p.reset_stats();

  testsupport::ValidityProber prober(p);
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failed_calls{0};
  std::mutex errors_mutex;
  std::string first_error;
  std::vector<std::thread> threads;
  const auto started = Clock::now();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const int min_valid = kMinValids[i % 2];
      while (!stop) {
        const auto before = Clock::now();
        auto r = f.client({"auth", "token", "--profile", kProfile, "--min-valid", std::to_string(min_valid)});
        ++calls;
        if (r.exit_code != 0 || r.out.size() < 2) {
          ++failed_calls;
          std::lock_guard lock(errors_mutex);
          if (first_error.empty()) first_error = "exit " + std::to_string(r.exit_code) + ": " + r.err;
          continue;
        }
        prober.add({r.out.substr(0, r.out.size() - 1), before, min_valid});
      }
    });
  }
  while (Clock::now() - started < kStorm) {
    prober.tick(false);
    std::this_thread::sleep_for(20ms);
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = seconds_since(started);
  // Let the last probes fall due, then wait for all of them.
  const auto drain = Clock::now() + std::chrono::seconds(kMaxMinValid);
  while (Clock::now() < drain) {
    prober.tick(false);
    std::this_thread::sleep_for(20ms);
  }
  prober.tick(true);
  prober.finish();
  const json stats = p.stats();

  MESSAGE("storm: " << calls.load() << " client calls in " << elapsed << " s, " << stats["refreshes"] << " refreshes, "
                    << prober.judged << " probes judged, " << prober.late << " late");
  CHECK(f.agent().running());
  CHECK_MESSAGE(failed_calls == 0, failed_calls << " client calls failed; first: " << first_error);
  CHECK(calls > kThreads * 10);
  for (const auto& failure : prober.failures) FAIL_CHECK(failure);
  CHECK(prober.judged >= 8);  // the check must have had material to fail on
  // No client ever presented an expired token to the platform (probes included).
  CHECK(stats["expired_token_uses"] == 0);
  // Single-flight: racing refreshes would present a rotated refresh token (the emulator revokes
  // the grant on reuse) and multiply the refresh count by the number of clients.
  CHECK(stats["refresh_token_reuse"] == 0);
  CHECK(stats["token_errors"].empty());
  // A token generation lasts at least lifetime - max(--min-valid): no more refreshes than that allows.
  const int refreshes = stats["refreshes"].get<int>();
  const int allowed = static_cast<int>(std::ceil(elapsed / (kLifetime - kMaxMinValid))) + 3;
  CHECK_MESSAGE(refreshes <= allowed, refreshes << " refreshes in " << elapsed << " s; at most " << allowed << " expected");
  CHECK(refreshes >= static_cast<int>(elapsed / kLifetime));  // and it did keep up

  // Proactive: with no client running, the agent refreshes ahead of expiry on its own.
  p.reset_stats();
  const std::string before = token_of(f);
  // Counted after `before` was served: a refresh already in flight then does not count as the one awaited.
  const int base = p.stats()["refreshes_succeeded"].get<int>();
  CHECK(testsupport::eventually([&] { return p.stats()["refreshes_succeeded"].get<int>() > base; },
                                std::chrono::seconds(kLifetime + 2)));
  const json quiet = p.stats();
  CHECK(quiet["refreshes"] == quiet["refreshes_succeeded"]);
  // The emulator counts a refresh when it answers; the agent persists and installs the new token a
  // moment later (longer under sanitizers). Reading a still-valid token never triggers a refresh.
  std::string after;
  CHECK(testsupport::eventually(
      [&] {
        after = token_of(f);
        return !same_secret(after, before);
      },
      std::chrono::seconds(3)));
  CHECK(token_works(p, after));
  CHECK(p.stats()["expired_token_uses"] == 0);
}


// ---- (c) kill -9 during a rotation storm -----------------------------------------------------

TEST_CASE("lifecycle: kill -9 during a rotation storm then restart: the store parses and the profile refreshes or asks for a login") {
  constexpr int kRounds = 6;
  constexpr int kStormThreads = 4;
  // 2 s tokens: `auth token --min-valid 1` refreshes on demand about every second, on top of the
  // forced refreshes, so rotations never stop.
  PlatformFixture p({"--token-lifetime", "2", "--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  std::mt19937 rng{std::random_device{}()};
  int refreshed_after_restart = 0, login_required_after_restart = 0;

  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const int before = p.stats()["refreshes_succeeded"].get<int>();
    std::atomic<bool> stop{false};
    std::mutex outcomes_mutex;
    std::map<std::string, int> outcomes;  // "exit N: first line of stderr" -> count
    std::vector<std::thread> storm;
    for (int i = 0; i < kStormThreads; ++i) {
      storm.emplace_back([&, i] {
        while (!stop) {
          auto r = i % 2 == 0 ? testsupport::auth_refresh(f, kProfile)
                              : f.client({"auth", "token", "--profile", kProfile, "--min-valid", "1"});
          std::lock_guard lock(outcomes_mutex);
          ++outcomes["exit " + std::to_string(r.exit_code) + ": " + r.err.substr(0, r.err.find('\n'))];
        }
      });
    }
    // Kill only once rotations are under way, at a random moment.
    const bool rotating = testsupport::eventually(
        [&] { return p.stats()["refreshes_succeeded"].get<int>() >= before + 5; }, 10s);
    if (!rotating) {
      std::lock_guard lock(outcomes_mutex);
      for (const auto& [what, n] : outcomes) MESSAGE(n << " x " << what);
      MESSAGE("stats: " << p.stats().dump() << "\nagent log:\n" << f.log());
      json stored = credentials_file(f);
      const auto rt = stored["profiles"][kProfile].value("refresh_token", "");
      const auto direct = p.oauth("/oauth/token", {{"grant_type", "refresh_token"}, {"refresh_token", rt}, {"client_id", kClientId}});
      MESSAGE("the stored refresh token presented directly: HTTP " << direct.status << " " << direct.body);
    }
    CHECK(rotating);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
    f.agent().signal(SIGKILL);
    CHECK(f.agent().wait(5s) == 128 + SIGKILL);
    stop = true;
    for (auto& t : storm) t.join();

    // The store is whole: valid JSON holding the profile with both tokens.
    json file = credentials_file(f);
    REQUIRE_FALSE(file.is_discarded());
    REQUIRE(file.contains("profiles"));
    REQUIRE(file["profiles"].contains(kProfile));
    CHECK(file["profiles"][kProfile]["access_token"].is_string());
    CHECK_FALSE(file["profiles"][kProfile]["refresh_token"].get<std::string>().empty());

    f.start();
    // A forced refresh puts the stored refresh token to the test (a still-valid access token alone
    // would hide a stale refresh token until the next round).
    auto refreshed = testsupport::auth_refresh(f, kProfile);
    INFO("refresh after restart: exit " << refreshed.exit_code << ": " << refreshed.err);
    REQUIRE((refreshed.exit_code == 0 || refreshed.exit_code == 3));
    if (refreshed.exit_code == 0) {
      ++refreshed_after_restart;
      CHECK(token_works(p, token_of(f, {"--min-valid", "1"})));
    } else {
      // Killed after the server rotated but before the new refresh token was on disk: the old one
      // was presented again, the emulator revoked the grant, and the agent says so.
      ++login_required_after_restart;
      CHECK(contains(refreshed.err, std::string("fluxloop auth login --profile ") + kProfile));
      CHECK(testsupport::profile_status(f, kProfile).value("state", "") == "login_required");
      // (A still-valid access token is served until it expires; beyond that only a login helps.)
      auto token = f.client({"auth", "token", "--profile", kProfile, "--min-valid", "1m"});
      CHECK(token.exit_code == 3);
      import_profile(p, f);
    }
    CHECK(testsupport::profile_status(f, kProfile).value("state", "") == "valid");
  }
  MESSAGE("after " << kRounds << " kills: " << refreshed_after_restart << " refreshed, " << login_required_after_restart
                   << " needed a login; " << p.stats()["refresh_token_reuse"] << " refresh-token reuses seen");
  CHECK(f.agent().running());
  // Every reuse of a rotated refresh token came from a kill in the rotation window, found by the
  // refresh right after the restart; a live agent never presents a rotated token.
  CHECK(p.stats()["refresh_token_reuse"] == login_required_after_restart);
}

// ---- (d) logout ------------------------------------------------------------------------------

TEST_CASE("lifecycle: logout revokes at the platform and then forgets") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  const json seeded = import_profile(p, f);
  const std::string access = token_of(f);
  CHECK(token_works(p, access));
  p.reset_stats();

  const auto out = testsupport::auth_logout(f, kProfile);
  CHECK_MESSAGE(out.exit_code == 0, out.err);
  CHECK(p.stats()["revocations"].get<int>() >= 1);
  CHECK(p.stats()["active_grants"] == 0);
  // The refresh token is dead at the platform (tried directly, as an attacker holding it would)...
  const auto reuse = p.oauth("/oauth/token", {{"grant_type", "refresh_token"},
                                               {"refresh_token", seeded["refresh_token"].get<std::string>()},
                                               {"client_id", kClientId}});
  CHECK(reuse.status == 400);
  CHECK(reuse.json.value("error", "") == "invalid_grant");
  // ...and so is the access token.
  CHECK_FALSE(token_works(p, access));
  // Locally forgotten.
  auto token = f.client({"auth", "token", "--profile", kProfile});
  CHECK(token.exit_code == 3);
  CHECK(token.out.empty());
  json file = credentials_file(f);
  CHECK((file.is_discarded() || !file.contains("profiles") || !file["profiles"].contains(kProfile)));
}

TEST_CASE("lifecycle: logout works offline: forgets locally with a warning and exit 0") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  const json seeded = import_profile(p, f);
  (void)token_of(f);
  CHECK(p.stop() == 0);

  const auto out = testsupport::auth_logout(f, kProfile);
  CHECK_MESSAGE(out.exit_code == 0, out.err);
  CHECK_FALSE(out.err.empty());  // a warning: nothing was revoked
  MESSAGE("offline logout said: " << out.err);
  CHECK(f.agent().running());
  auto token = f.client({"auth", "token", "--profile", kProfile});
  CHECK(token.exit_code == 3);
  const std::string stored = testsupport::read_file(f.home() + "/credentials.json");
  CHECK_FALSE(contains(stored, seeded["refresh_token"].get<std::string>()));
  CHECK_FALSE(contains(stored, seeded["access_token"].get<std::string>()));
}
