// --lifetime: credentials forgotten a fixed time after they reach the agent (like ssh-agent -t).
// Deadlines are wall-clock instants (Credentials::forget_at, persisted), so they survive restarts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proto/duration.hpp"

namespace agentd::lock {

// Longest lifetime accepted (a year), as in the client's durations.
inline constexpr std::int64_t kMaxLifetimeSeconds = proto::kMaxDurationSeconds;

// A DURATION ("90s", "5m", "8h", "7d") or whole seconds ("300"), 1 s to kMaxLifetimeSeconds;
// nullopt for anything else.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The lifetime that applies to new credentials: the shorter of the agent's and the profile's
// (0 means none); nullopt when neither is set.
std::optional<std::chrono::seconds> effective_lifetime(std::int64_t agent_seconds, std::int64_t profile_seconds);

// One timer on the agent's executor for every profile's deadline. At a deadline `drop` runs at once
// (synchronously: the credentials stop being served), then `erase` is awaited (the store forgets).
class Sweeper {
 public:
  using Clock = std::chrono::system_clock;
  struct Hooks {
    std::function<void(const std::string& profile)> drop;
    std::function<boost::asio::awaitable<void>(const std::string& profile)> erase;
  };
  Sweeper(boost::asio::any_io_executor executor, Hooks hooks);
  ~Sweeper();

  // Sets (or replaces) a profile's deadline; an empty or unparseable `forget_at` clears it.
  void arm(const std::string& profile, const std::string& forget_at);
  void disarm(const std::string& profile);
  // Drops every profile whose deadline has passed, now, and queues its erasure. Cheap: call it before
  // serving a secret so a timer woken late (suspend, a busy loop) never lets one through.
  void expire_due();
  // expire_due() plus awaiting the erasures: at start-up, before the socket serves anyone.
  boost::asio::awaitable<void> sweep_now();
  // Starts the timer loop; stop() ends it.
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::lock
