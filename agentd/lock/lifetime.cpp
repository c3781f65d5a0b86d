#include "agentd/lock/lifetime.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/tokens/clock.hpp"
#include "proto/duration.hpp"

namespace agentd::lock {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  auto seconds = proto::parse_seconds(text);
  if (!seconds || *seconds <= 0 || *seconds > kMaxLifetimeSeconds) return std::nullopt;
  return std::chrono::seconds(*seconds);
}

std::optional<std::chrono::seconds> effective_lifetime(std::int64_t agent_seconds, std::int64_t profile_seconds) {
  std::optional<std::chrono::seconds> shortest;
  for (std::int64_t s : {agent_seconds, profile_seconds}) {
    if (s <= 0) continue;
    if (!shortest || std::chrono::seconds(s) < *shortest) shortest = std::chrono::seconds(s);
  }
  return shortest;
}

struct Sweeper::Impl {
  Impl(asio::any_io_executor ex, Hooks h) : executor(ex), hooks(std::move(h)), wake(ex) {}

  asio::any_io_executor executor;
  Hooks hooks;
  std::map<std::string, Clock::time_point> deadlines;
  std::deque<std::string> to_erase;
  asio::steady_timer wake;
  bool running = false;

  void expire_due() {
    const auto now = Clock::now();
    for (auto it = deadlines.begin(); it != deadlines.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      const std::string profile = it->first;
      it = deadlines.erase(it);
      spdlog::info("profile {}: credentials reached the end of their lifetime; forgetting them", profile);
      hooks.drop(profile);
      to_erase.push_back(profile);
    }
    if (!to_erase.empty()) wake.cancel();
  }

  asio::awaitable<void> erase_queued() {
    while (!to_erase.empty()) {
      const std::string profile = std::move(to_erase.front());
      to_erase.pop_front();
      co_await hooks.erase(profile);
    }
  }

  // Static with the owner as a parameter: the coroutine frame keeps the Impl alive.
  static asio::awaitable<void> loop(std::shared_ptr<Impl> self) { co_await self->run(); }

  asio::awaitable<void> run() {
    while (running) {
      expire_due();
      co_await erase_queued();
      if (!running) break;
      std::optional<Clock::time_point> earliest;
      for (const auto& [profile, when] : deadlines) earliest = earliest ? std::min(*earliest, when) : when;
      wake.expires_after(tokens::sleep_before(earliest));
      co_await wake.async_wait(kAwait);
    }
  }
};

Sweeper::Sweeper(asio::any_io_executor executor, Hooks hooks)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(hooks))) {}

Sweeper::~Sweeper() { stop(); }

void Sweeper::arm(const std::string& profile, const std::string& forget_at) {
  auto when = forget_at.empty() ? std::nullopt : tokens::parse_rfc3339(forget_at);
  if (!when) {
    if (!forget_at.empty()) spdlog::warn("profile {}: ignoring an unreadable forget_at", profile);
    disarm(profile);
    return;
  }
  impl_->deadlines[profile] = *when;
  impl_->wake.cancel();  // the loop recomputes its sleep
}

void Sweeper::disarm(const std::string& profile) { impl_->deadlines.erase(profile); }

void Sweeper::expire_due() { impl_->expire_due(); }

asio::awaitable<void> Sweeper::sweep_now() {
  auto impl = impl_;
  impl->expire_due();
  co_await impl->erase_queued();
}

void Sweeper::start() {
  if (impl_->running) return;
  impl_->running = true;
  asio::co_spawn(impl_->executor, Impl::loop(impl_), asio::detached);
}

void Sweeper::stop() {
  impl_->running = false;
  impl_->wake.cancel();
}

}  // namespace agentd::lock
