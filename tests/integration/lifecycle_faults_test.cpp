// Token lifecycle under injected faults (docs/platform-api.md "Faults"): the agent stays up, serves
// the cached token, explains in `auth status`, and recovers on its own. Split from lifecycle_test.cpp.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/lifecycle_common.hpp"

using namespace lifecycle;  // NOLINT(google-build-using-namespace): the helpers of this suite

// ---- (b) faults: the agent stays up, serves the cached token, explains, recovers ---------------

namespace {

struct FaultStack {
  PlatformFixture p{{"--token-lifetime", "120", "--quiet"}};
  AgentFixture f{p.agent_env()};
  std::string token;
  FaultStack() {
    f.start();
    import_profile(p, f);
    token = token_of(f);
    p.reset_stats();
  }
};

// After a transient failure: the agent retries on its own (backoff or Retry-After) and recovers.
void check_recovers(FaultStack& s, std::chrono::seconds within) {
  CHECK(testsupport::eventually([&] { return s.p.stats()["refreshes_succeeded"].get<int>() >= 1; }, within));
  const json status = testsupport::profile_status(s.f, kProfile);
  CHECK(status.value("state", "") == "valid");
  CHECK(status.value("last_error", "") == "");
  const std::string fresh = token_of(s.f);
  CHECK_FALSE(same_secret(fresh, s.token));
  CHECK(token_works(s.p, fresh));
}

// Queues `fault` on the token endpoint, forces a refresh, and checks what the user sees.
void check_transient_fault(json fault, int expected_exit, std::chrono::seconds recovery) {
  FaultStack s;
  fault["path_prefix"] = "/oauth/token";
  s.p.add_fault(fault);
  const auto refreshed = testsupport::auth_refresh(s.f, kProfile);
  CHECK_MESSAGE(refreshed.exit_code == expected_exit, refreshed.err);
  CHECK_FALSE(refreshed.err.empty());
  CHECK(s.f.agent().running());
  CHECK(s.p.stats()["faults_injected"] == 1);
  // The cached token is still served while valid, and status explains what went wrong.
  CHECK(same_secret(token_of(s.f), s.token));
  const json status = testsupport::profile_status(s.f, kProfile);
  CHECK(status.value("state", "") == "valid");
  CHECK_FALSE(status.value("last_error", "").empty());
  MESSAGE(fault["kind"] << ": refresh exit " << refreshed.exit_code << ", last_error: " << status.value("last_error", ""));
  check_recovers(s, recovery);
}

}  // namespace

TEST_CASE("lifecycle: fault 500 on refresh") { check_transient_fault({{"kind", "500"}}, 6, 5s); }
TEST_CASE("lifecycle: fault reset (TCP RST) on refresh") { check_transient_fault({{"kind", "reset"}}, 6, 5s); }
TEST_CASE("lifecycle: fault malformed JSON on refresh") { check_transient_fault({{"kind", "malformed"}}, 6, 5s); }
TEST_CASE("lifecycle: fault 429 on refresh") { check_transient_fault({{"kind", "429"}, {"retry_after", 1}}, 6, 5s); }

TEST_CASE("lifecycle: fault 503 + Retry-After is honoured") {
  constexpr int kRetryAfter = 3;
  FaultStack s;
  s.p.add_fault({{"kind", "503"}, {"retry_after", kRetryAfter}, {"path_prefix", "/oauth/token"}});
  const auto failed_at = Clock::now();
  const auto refreshed = testsupport::auth_refresh(s.f, kProfile);
  CHECK_MESSAGE(refreshed.exit_code == 6, refreshed.err);
  CHECK(same_secret(token_of(s.f), s.token));
  // An on-demand refresh inside the Retry-After window must not reach the server.
  auto early = s.f.client({"auth", "token", "--profile", kProfile, "--min-valid", "1h"});
  CHECK(early.exit_code == 6);
  CHECK(contains(early.err, "next attempt in"));
  // Nothing more reaches the token endpoint until Retry-After has passed (a faulted request is
  // counted in faults_injected, a served one in refreshes).
  std::this_thread::sleep_for(std::chrono::seconds(kRetryAfter) - 1s - (Clock::now() - failed_at));
  CHECK(s.p.stats()["faults_injected"] == 1);
  CHECK(s.p.stats()["refreshes"] == 0);
  check_recovers(s, std::chrono::seconds(kRetryAfter + 3));
  CHECK(s.p.stats()["refreshes"] == 1);
  CHECK(Clock::now() - failed_at >= std::chrono::seconds(kRetryAfter));
}

TEST_CASE("lifecycle: a server certificate that does not verify is a transient failure and not a logout") {
  for (const std::string cert : {"wrong-host", "self-signed"}) {
    CAPTURE(cert);
    PlatformFixture p({"--token-lifetime", "120", "--quiet"});
    AgentFixture f(p.agent_env());
    f.start();
    import_profile(p, f);
    const std::string token = token_of(f);
    // An impostor takes over the platform's address: valid certificate for another name, or one
    // the trusted CA never issued.
    REQUIRE(p.stop() == 0);
    PlatformFixture impostor(testsupport::PlatformOptions{.args = {"--quiet"}, .pki_dir = p.pki_dir(), .cert = cert, .port = p.port()});
    const auto refreshed = testsupport::auth_refresh(f, kProfile);
    CHECK_MESSAGE(refreshed.exit_code == 6, refreshed.err);
    CHECK(contains(refreshed.err, "certificate"));
    CHECK(f.agent().running());
    CHECK(same_secret(token_of(f), token));
    const json status = testsupport::profile_status(f, kProfile);
    CHECK(status.value("state", "") == "valid");
    CHECK(contains(status.value("last_error", ""), "certificate"));
  }
}

TEST_CASE("lifecycle: a slow token endpoint does not hold up cached tokens") {
  FaultStack s;
  // A delay far longer than the bound below, so a loaded or sanitized run still tells waiting from not.
  s.p.add_fault({{"kind", "delay"}, {"delay_ms", 6000}, {"path_prefix", "/oauth/token"}});
  auto slow = std::async(std::launch::async, [&] { return testsupport::auth_refresh(s.f, kProfile); });
  std::this_thread::sleep_for(300ms);
  const auto asked = Clock::now();
  CHECK(same_secret(token_of(s.f), s.token));
  CHECK(testsupport::profile_status(s.f, kProfile).value("state", "") == "valid");
  CHECK(Clock::now() - asked < 3s);
  const auto refreshed = slow.get();
  CHECK_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK_FALSE(same_secret(token_of(s.f), s.token));
}

TEST_CASE("lifecycle: invalid_grant means login required with exit 3 and the exact command until a new login") {
  FaultStack s;
  s.p.add_fault({{"kind", "invalid_grant"}});
  const std::string command = std::string("fluxloop auth login --profile ") + kProfile;
  const auto refreshed = testsupport::auth_refresh(s.f, kProfile);
  CHECK(refreshed.exit_code == 3);
  CHECK_MESSAGE(contains(refreshed.err, command), refreshed.err);
  CHECK(s.f.agent().running());
  // Still valid for a while: served as long as it is.
  CHECK(same_secret(token_of(s.f), s.token));
  auto longer = s.f.client({"auth", "token", "--profile", kProfile, "--min-valid", "1h"});
  CHECK(longer.exit_code == 3);
  CHECK_MESSAGE(contains(longer.err, command), longer.err);
  CHECK(longer.out.empty());
  const json status = testsupport::profile_status(s.f, kProfile);
  CHECK(status.value("state", "") == "login_required");
  CHECK(contains(status.value("last_error", ""), command));
  auto plain = s.f.client({"auth", "status", "--profile", kProfile});
  CHECK(plain.exit_code == 3);
  // A new login (here: an import of freshly issued tokens) clears it.
  import_profile(s.p, s.f);
  CHECK(testsupport::profile_status(s.f, kProfile).value("state", "") == "valid");
  CHECK(testsupport::auth_refresh(s.f, kProfile).exit_code == 0);
  CHECK(token_works(s.p, token_of(s.f, {"--min-valid", "60"})));
}
