// Issue 10 item 13: platform API calls (`apikeys`, `api`) retry 429 and 5xx with backoff, honour
// Retry-After, stay within the retry deadline, then exit 6. A POST is not sent again after an answer
// that may mean it took effect (500, 502, 504), so no unseen second key is ever created.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/apikeys_common.hpp"

using namespace apikeystest;  // NOLINT(google-build-using-namespace): the helpers of this suite

namespace {

int count(PlatformFixture& p, const char* name) { return p.stats()[name].get<int>(); }

}  // namespace

TEST_CASE("retry: two 503s with Retry-After 1 then success: exit 0 after three requests") {
  Setup s;
  s.platform.reset_stats();
  s.platform.add_fault({{"kind", "503"}, {"retry_after", 1}, {"count", 2}, {"path_prefix", "/v1/api-keys"}});
  auto listed = s.agent.client({"apikeys", "list", "--json"});
  CHECK_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(count(s.platform, "faults_injected") == 2);
  CHECK(count(s.platform, "api_requests") == 1);  // the third request, answered for real

  // The same for `fluxloop api`, with 429.
  s.platform.reset_stats();
  s.platform.add_fault({{"kind", "429"}, {"retry_after", 1}, {"count", 2}, {"path_prefix", "/v1/me"}});
  auto me = s.agent.client({"api", "GET", "/v1/me"});
  CHECK_MESSAGE(me.exit_code == 0, me.err);
  CHECK(count(s.platform, "faults_injected") == 2);
  CHECK(count(s.platform, "api_requests") == 1);
}

TEST_CASE("retry: creating a key is retried after 503 (not processed) but not after 500 (maybe processed)") {
  Setup s;
  const int keys_before = count(s.platform, "active_api_keys");
  s.platform.add_fault({{"kind", "503"}, {"retry_after", 1}, {"count", 2}, {"path_prefix", "/v1/api-keys"}});
  create_key(s.agent, "after-503");
  CHECK(count(s.platform, "active_api_keys") == keys_before + 1);

  s.platform.reset_stats();
  s.platform.add_fault({{"kind", "500"}, {"path_prefix", "/v1/api-keys"}});
  auto failed = s.agent.client({"apikeys", "create", "--name", "after-500"});
  CHECK(failed.exit_code == 6);
  CHECK(count(s.platform, "faults_injected") == 1);
  CHECK(count(s.platform, "api_requests") == 0);  // sent once, never again
  CHECK(count(s.platform, "active_api_keys") == keys_before + 1);

  // A GET is idempotent: a 500 is retried.
  s.platform.add_fault({{"kind", "500"}, {"path_prefix", "/v1/api-keys"}});
  CHECK(s.agent.client({"apikeys", "list"}).exit_code == 0);
}

TEST_CASE("retry: a Retry-After past the deadline is reported at once, a persistent 503 ends in exit 6 within the deadline") {
  Setup s;
  s.platform.reset_stats();
  s.platform.add_fault({{"kind", "503"}, {"retry_after", 3600}, {"count", 100}, {"path_prefix", "/v1/api-keys"}});
  auto refused = s.agent.client({"apikeys", "list"});
  CHECK(refused.exit_code == 6);
  CHECK(contains(refused.err, "503"));
  CHECK(count(s.platform, "faults_injected") == 1);
  s.platform.clear_faults();

  s.platform.reset_stats();
  s.platform.add_fault({{"kind", "503"}, {"retry_after", 1}, {"count", 1000}, {"path_prefix", "/v1/api-keys"}});
  auto persistent = s.agent.client({"apikeys", "list"});  // the harness kills a client still waiting after 30 s
  CHECK(persistent.exit_code == 6);
  CHECK(contains(persistent.err, "503"));
  const int attempts = count(s.platform, "faults_injected");
  MESSAGE("persistent 503 with Retry-After 1: " << attempts << " attempts before giving up");
  CHECK(attempts > 2);
  CHECK(count(s.platform, "api_requests") == 0);
}
