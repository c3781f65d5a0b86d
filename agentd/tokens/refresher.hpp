// Keeps access tokens fresh: proactive refresh ahead of expiry, on-demand refresh, single-flight
// per profile, backoff on failure, rotation persisted before use.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/token_cache.hpp"
#include "proto/result.hpp"

namespace agentd::tokens {

// What a successful refresh grant returned.
struct Grant {
  std::string access_token;
  std::string refresh_token;                   // empty: the old one stays valid (no rotation)
  std::optional<std::chrono::seconds> expires_in;
  std::string user_email;                      // empty: unchanged
  std::string user_id;                         // empty: unchanged
};

// One refresh attempt's outcome. login_required means the refresh token was refused (invalid_grant).
struct Attempt {
  proto::Result<Grant> result = proto::Error{proto::ErrorCode::internal, "no attempt"};
  std::optional<std::chrono::seconds> retry_after;  // from a 429/503 answer
};

struct RefresherHooks {
  // Performs the HTTP refresh grant for these credentials.
  std::function<boost::asio::awaitable<Attempt>(const std::string& profile, store::Credentials current)> refresh;
  // Persists a profile's credentials durably: the new ones before they are served, and the current
  // ones before each refresh is sent (a probe: no refresh while the store cannot keep its result).
  std::function<boost::asio::awaitable<proto::Status>(const std::string& profile, const store::Credentials&)> persist;
  // Re-reads a profile from the store (after invalid_grant: an import or login may have replaced it).
  std::function<boost::asio::awaitable<std::optional<store::Credentials>>(const std::string& profile)> reload;
  // Optional: told after new credentials of `profile` are in the cache (a refresh landed, or newer
  // credentials were adopted from the store). Must not block.
  std::function<void(const std::string& profile)> changed;
  // Optional: the clock for backoff, Retry-After and the forced-refresh window (tests pass a fake
  // one); BootClock::now when empty. The scheduler's sleeps stay on real timers.
  std::function<BootClock::time_point()> now;
};

// Backoff after failures: kMinBackoff doubling to kMaxBackoff, ±20 % jitter.
inline constexpr std::chrono::seconds kMinBackoff{1};
inline constexpr std::chrono::seconds kMaxBackoff{300};
// The scheduler re-checks the boot clock at least this often, so refreshes that fell due while the
// machine slept (steady timers stop during suspend) run promptly after resume.
inline constexpr std::chrono::seconds kMaxSleepSlice{15};
// A forced refresh (`auth refresh`) arriving within this long after a refresh of the same tokens
// landed adopts that refresh's outcome instead of sending another: a burst of N costs one grant.
inline constexpr std::chrono::seconds kForcedRefreshWindow{2};

class Refresher {
 public:
  Refresher(boost::asio::any_io_executor executor, TokenCache& cache, RefresherHooks hooks);
  ~Refresher();

  // Refreshes `profile` now, or joins the refresh already in flight for it: any number of callers
  // cause at most one HTTP refresh and all get its outcome. The refresh itself runs detached, so a
  // caller that goes away does not abort it. Respects a pending Retry-After / backoff unless `force`;
  // `force` adopts a refresh of the same entry (TokenCache generation) that landed within
  // kForcedRefreshWindow.
  enum class Mode { respect_backoff, force };
  boost::asio::awaitable<proto::Status> refresh(const std::string& profile, Mode mode);

  // Waits until no refresh of `profile` is in flight (before logout or import replace its tokens,
  // so a landing refresh cannot write old-lineage tokens over the new ones).
  boost::asio::awaitable<void> wait_idle(const std::string& profile);

  // Recomputes a profile's proactive refresh time after its entry changed (import, login, refresh).
  void schedule(const std::string& profile);
  // Forgets a profile's schedule (logout, removal).
  void forget(const std::string& profile);
  // Makes the proactive refresh of `profile` happen no later than when `lead` remains, whenever its
  // tokens live longer than `lead` (nullopt: the usual schedule only). The CLI bridge uses it so the
  // platform CLI, which refreshes by itself under 5 minutes, never has to (docs/platform.md).
  void set_min_lead(const std::string& profile, std::optional<std::chrono::seconds> lead);
  // Starts the scheduler loop; stop() cancels it and every timer.
  void start();
  void stop();

  // Number of HTTP refresh attempts made, for tests and status.
  std::int64_t attempts() const noexcept;
  // When the backoff / Retry-After gate of `profile` opens (nullopt: no gate), for tests and status.
  std::optional<BootClock::time_point> next_attempt(const std::string& profile) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::tokens
