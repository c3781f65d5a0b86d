#include "agentd/tokens/refresher.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentd::tokens {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Proactive refresh when this share of the remaining lifetime has passed (Vault Agent renews at
// about two thirds, jittered so many agents started together do not refresh in lockstep).
constexpr double kRefreshAtMin = 0.60;
constexpr double kRefreshAtMax = 0.70;
constexpr double kBackoffJitter = 0.2;

struct Flight {
  explicit Flight(const asio::any_io_executor& executor) : signal(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer signal;  // cancelled when the flight lands: wakes every waiter at once
  bool done = false;
  proto::Status result = proto::Ok{};
};

struct ProfileState {
  std::shared_ptr<Flight> flight;
  std::optional<BootClock::time_point> due;         // next proactive refresh
  std::optional<BootClock::time_point> not_before;  // backoff or Retry-After gate
  int failures = 0;
  proto::Error last_failure;
  std::optional<BootClock::duration> min_lead;  // refresh no later than this before expiry (set_min_lead)
  std::optional<BootClock::duration> lifetime;  // of the tokens the last refresh received
  // The last refresh that landed: when, the entry generation it left (or failed on), and its
  // outcome, which forced refreshes within kForcedRefreshWindow adopt.
  struct Landing {
    BootClock::time_point at;
    std::uint64_t generation = 0;
    proto::Status result = proto::Ok{};
  };
  std::optional<Landing> landed;
};

std::string seconds_text(BootClock::duration d) {
  return std::to_string(std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::seconds>(d).count())) + " s";
}

}  // namespace

struct Refresher::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, TokenCache& c, RefresherHooks h)
      : executor(std::move(ex)), cache(c), hooks(std::move(h)), wake(executor), rng(std::random_device{}()) {}

  asio::any_io_executor executor;
  TokenCache& cache;
  RefresherHooks hooks;
  std::map<std::string, ProfileState> profiles;
  asio::steady_timer wake;
  bool running = false;
  std::mt19937_64 rng;
  std::int64_t attempts = 0;

  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
  BootClock::time_point now() const { return hooks.now ? hooks.now() : BootClock::now(); }

  void schedule(const std::string& profile) {
    auto& st = profiles[profile];
    st.due.reset();
    const Entry* entry = cache.find(profile);
    if (!entry || entry->credentials.refresh_token.empty() || entry->login_required || !entry->expires) return;
    const auto now = this->now();
    const auto remaining = *entry->expires - now;
    auto due = remaining <= BootClock::duration::zero()
                   ? now
                   : now + std::chrono::duration_cast<BootClock::duration>(remaining * uniform(kRefreshAtMin, kRefreshAtMax));
    // The lead applies whenever tokens live longer than it. Until a refresh has shown their lifetime
    // (loaded or adopted tokens), too little time left means refreshing now once to learn it.
    if (st.min_lead && (!st.lifetime || *st.lifetime > *st.min_lead)) due = std::min(due, std::max(now, *entry->expires - *st.min_lead));
    if (st.not_before && *st.not_before > due) due = *st.not_before;
    st.due = due;
    wake.cancel();
  }

  asio::awaitable<proto::Status> refresh(const std::string& profile, Mode mode) {
    auto self = shared_from_this();
    auto& st = profiles[profile];
    // Our own handle on the flight, taken before it is spawned: co_spawn may run a flight that never
    // suspends to completion inline, and its landing resets st.flight (and may change `profiles`).
    auto flight = st.flight;
    if (!flight) {
      const auto now = this->now();
      if (mode == Mode::respect_backoff && st.not_before && now < *st.not_before) {
        co_return proto::Error{st.last_failure.code,
                               st.last_failure.message + " (next attempt in " + seconds_text(*st.not_before - now) + ")"};
      }
      if (mode == Mode::force && st.landed && now - st.landed->at < kForcedRefreshWindow) {
        // A refresh of these very tokens just landed: "refresh now" is already done.
        const Entry* entry = cache.find(profile);
        if (entry && entry->generation == st.landed->generation) co_return st.landed->result;
      }
      flight = std::make_shared<Flight>(executor);
      st.flight = flight;
      asio::co_spawn(executor, run_flight(profile, flight), asio::detached);
    }
    if (!flight->done) co_await flight->signal.async_wait(kAwait);
    if (!flight->done) co_return proto::Error{proto::ErrorCode::internal, "refresh abandoned (agent shutting down)"};
    co_return flight->result;
  }

  asio::awaitable<void> run_flight(std::string profile, std::shared_ptr<Flight> flight) {
    auto self = shared_from_this();
    proto::Status result = proto::Ok{};
    try {
      result = co_await attempt(profile);
    } catch (const std::exception& e) {
      // A bug must not leave waiters hanging: every flight lands.
      spdlog::error("refresh of profile {} failed unexpectedly: {}", profile, e.what());
      result = proto::Error{proto::ErrorCode::internal, "refresh failed unexpectedly"};
    }
    if (auto it = profiles.find(profile); it != profiles.end() && it->second.flight == flight) {
      it->second.flight.reset();
      const Entry* entry = cache.find(profile);
      if (entry) it->second.landed = ProfileState::Landing{now(), entry->generation, result};
      else it->second.landed.reset();
    }
    flight->result = std::move(result);
    flight->done = true;
    flight->signal.cancel();
  }

  asio::awaitable<proto::Status> attempt(const std::string& profile) {
    const Entry* entry = cache.find(profile);
    if (!entry) co_return proto::Error{proto::ErrorCode::no_such_profile, "no profile named '" + profile + "'"};
    if (entry->credentials.refresh_token.empty()) {
      co_return proto::Error{proto::ErrorCode::login_required,
                             "profile '" + profile + "' has no refresh token: run `fluxloop auth login --profile " + profile + "`"};
    }
    if (entry->login_required) {
      // The server already refused this refresh token; asking again only repeats invalid_grant
      // (and tells the server someone keeps trying a dead token). Only a newer token helps.
      const proto::SecureText refused = entry->credentials.refresh_token;
      auto stored = co_await hooks.reload(profile);
      if (stored && !stored->refresh_token.empty() && stored->refresh_token != refused) {
        cache.put(profile, std::move(*stored));
        schedule(profile);
        if (hooks.changed) hooks.changed(profile);
        co_return proto::Ok{};
      }
      co_return proto::Error{proto::ErrorCode::login_required,
                             "the refresh token of profile '" + profile + "' was refused: run `fluxloop auth login --profile " +
                                 profile + "`"};
    }
    const store::Credentials used = entry->credentials;
    // Probe the store before spending the refresh token: with rotation the server retires it the
    // moment it answers, so a new token the store cannot keep would live only in memory and a
    // restart would replay the retired one (reuse detection then ends the whole login). Saving what
    // we hold now is that probe; it also catches up a save that failed earlier.
    if (auto writable = co_await hooks.persist(profile, used); !writable) {
      proto::Error error{writable.error().code, "not refreshing profile '" + profile +
                                                    "': the secret store cannot keep new tokens (" +
                                                    writable.error().message + ")"};
      co_return back_off(profile, std::move(error), std::nullopt, now());
    }
    if (cache.find(profile) == nullptr) co_return proto::Ok{};  // forgotten (logout) while we saved
    ++attempts;
    Attempt outcome = co_await hooks.refresh(profile, used);
    const auto received = now();
    // `profiles[profile]` is looked up after each co_await, never held across one: forget() (logout,
    // profile remove) erases the entry meanwhile and a held reference would dangle.

    if (outcome.result.ok()) {
      const Grant& grant = *outcome.result;
      Entry* current = cache.find(profile);
      if (!current || current->credentials.refresh_token != used.refresh_token) {
        // Replaced while we were asking (import, login, logout): the user's newer action wins.
        co_return proto::Ok{};
      }
      store::Credentials next = current->credentials;
      next.access_token = grant.access_token;
      if (!grant.refresh_token.empty()) next.refresh_token = grant.refresh_token;
      next.expires_at = grant.expires_in ? format_rfc3339(std::chrono::system_clock::now() + *grant.expires_in) : "";
      if (!grant.user_email.empty()) next.user_email = grant.user_email;
      if (!grant.user_id.empty()) next.user_id = grant.user_id;
      // Persist before serving: the server has already retired the old refresh token (rotation),
      // so the new one must be on disk before anything can depend on it.
      auto saved = co_await hooks.persist(profile, next);
      if (cache.find(profile) == nullptr) co_return proto::Ok{};  // removed meanwhile
      Entry& fresh = cache.put(profile, std::move(next));
      auto& st = profiles[profile];
      // Expiry from expires_in at receipt on the boot clock: immune to server clock skew.
      if (grant.expires_in) fresh.expires = received + *grant.expires_in;
      st.lifetime = grant.expires_in ? std::optional<BootClock::duration>(*grant.expires_in) : std::nullopt;
      if (!saved) {
        fresh.last_error = "refreshed, but could not save the new tokens: " + saved.error().message;
        spdlog::error("profile {}: {}", profile, fresh.last_error);
      }
      st.failures = 0;
      st.not_before.reset();
      spdlog::info("refreshed profile {}", profile);
      schedule(profile);
      if (hooks.changed) hooks.changed(profile);
      co_return proto::Ok{};
    }

    proto::Error error = std::move(outcome.result).error();
    if (error.code == proto::ErrorCode::login_required) {
      // The refresh token was refused. Someone may have replaced it in the store (an import or a
      // login by another agent run): adopt that before declaring the profile logged out.
      auto stored = co_await hooks.reload(profile);
      Entry* current = cache.find(profile);
      if (stored && !stored->refresh_token.empty() && stored->refresh_token != used.refresh_token) {
        spdlog::info("profile {}: refresh token refused, newer credentials found in the store", profile);
        cache.put(profile, std::move(*stored));
        schedule(profile);
        if (hooks.changed) hooks.changed(profile);
        co_return proto::Ok{};
      }
      if (current && current->credentials.refresh_token == used.refresh_token) {
        current->login_required = true;
        current->last_error = "the server refused the refresh token: run `fluxloop auth login --profile " + profile + "`";
      }
      profiles[profile].due.reset();
      spdlog::warn("profile {}: refresh token refused; login required", profile);
      co_return proto::Error{proto::ErrorCode::login_required,
                             "the refresh token of profile '" + profile + "' was refused (expired or revoked): run `fluxloop auth login --profile " +
                                 profile + "`"};
    }

    // Transient failure (network, 5xx, 429, malformed answer): back off, keep serving what is valid.
    co_return back_off(profile, std::move(error), outcome.retry_after, received);
  }

  // Records a transient failure: the next attempt waits (doubling backoff, or Retry-After), what is
  // valid keeps being served, and the entry explains. Returns `error`.
  proto::Error back_off(const std::string& profile, proto::Error error, std::optional<std::chrono::seconds> retry_after,
                        BootClock::time_point failed) {
    auto& st = profiles[profile];
    ++st.failures;
    auto backoff = std::chrono::duration<double>(kMinBackoff) * (1 << std::min(st.failures - 1, 16));
    backoff = std::min<std::chrono::duration<double>>(backoff, kMaxBackoff) * uniform(1 - kBackoffJitter, 1 + kBackoffJitter);
    BootClock::duration wait = std::chrono::duration_cast<BootClock::duration>(backoff);
    if (retry_after) wait = std::max<BootClock::duration>(*retry_after, std::chrono::seconds(1));
    st.not_before = failed + wait;
    st.last_failure = error;
    if (Entry* current = cache.find(profile)) {
      current->last_error = error.message + " (retrying in " + seconds_text(wait) + ")";
    }
    spdlog::warn("profile {}: refresh failed ({}); retrying in {}", profile, proto::to_string(error.code), seconds_text(wait));
    st.due = st.not_before;
    wake.cancel();
    return error;
  }

  asio::awaitable<void> scheduler() {
    auto self = shared_from_this();
    while (running) {
      const auto now = this->now();
      auto next = now + kMaxSleepSlice;
      for (auto& [profile, st] : profiles) {
        if (!st.due || st.flight) continue;
        // Never before a backoff or Retry-After gate: refresh() would refuse and the schedule be lost.
        const auto when = st.not_before ? std::max(*st.due, *st.not_before) : *st.due;
        if (when <= now) {
          st.due.reset();
          asio::co_spawn(executor, proactive(profile), asio::detached);
        } else {
          next = std::min(next, when);
        }
      }
      wake.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(next - now));
      co_await wake.async_wait(kAwait);
    }
  }

  asio::awaitable<void> proactive(std::string profile) {
    auto self = shared_from_this();
    // co_spawn dispatches: without this yield a refresh that never suspends would run inside the
    // scheduler's loop, and the wake-up its schedule() sends would be lost (nobody waits yet).
    co_await asio::post(executor, asio::use_awaitable);
    (void)co_await refresh(profile, Mode::respect_backoff);  // outcome recorded in the entry
  }
};

Refresher::Refresher(asio::any_io_executor executor, TokenCache& cache, RefresherHooks hooks)
    : impl_(std::make_shared<Impl>(std::move(executor), cache, std::move(hooks))) {}

Refresher::~Refresher() { stop(); }

asio::awaitable<proto::Status> Refresher::refresh(const std::string& profile, Mode mode) {
  return impl_->refresh(profile, mode);
}

asio::awaitable<void> Refresher::wait_idle(const std::string& profile) {
  auto impl = impl_;
  for (;;) {
    auto it = impl->profiles.find(profile);
    if (it == impl->profiles.end() || !it->second.flight) co_return;
    auto flight = it->second.flight;
    co_await flight->signal.async_wait(kAwait);
    if (!flight->done) co_return;  // shutting down
  }
}

void Refresher::schedule(const std::string& profile) { impl_->schedule(profile); }

void Refresher::forget(const std::string& profile) {
  if (auto it = impl_->profiles.find(profile); it != impl_->profiles.end()) {
    it->second.due.reset();
    it->second.not_before.reset();
    it->second.failures = 0;
    it->second.lifetime.reset();  // the next login's tokens may live differently
    it->second.landed.reset();
  }
}

void Refresher::set_min_lead(const std::string& profile, std::optional<std::chrono::seconds> lead) {
  auto& st = impl_->profiles[profile];
  const std::optional<BootClock::duration> wanted = lead ? std::optional<BootClock::duration>(*lead) : std::nullopt;
  if (st.min_lead == wanted) return;
  st.min_lead = wanted;
  impl_->schedule(profile);
}

void Refresher::start() {
  if (impl_->running) return;
  impl_->running = true;
  asio::co_spawn(impl_->executor, impl_->scheduler(), asio::detached);
}

void Refresher::stop() {
  impl_->running = false;
  impl_->wake.cancel();
  for (auto& [_, st] : impl_->profiles) {
    if (st.flight) st.flight->signal.cancel();
  }
}

std::int64_t Refresher::attempts() const noexcept { return impl_->attempts; }

std::optional<BootClock::time_point> Refresher::next_attempt(const std::string& profile) const {
  auto it = impl_->profiles.find(profile);
  return it == impl_->profiles.end() ? std::nullopt : it->second.not_before;
}

}  // namespace agentd::tokens
