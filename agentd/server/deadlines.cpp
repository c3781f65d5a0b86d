#include "agentd/server/deadlines.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentd::server {

namespace asio = boost::asio;
using Clock = SessionClock;

Deadlines::Deadlines(const asio::any_io_executor& executor, std::chrono::milliseconds slack)
    : timer_(executor, Clock::time_point::max()), slack_(slack) {}

void Deadlines::expect(Session& s, Phase phase, std::chrono::milliseconds timeout) {
  s.phase = phase;
  s.timed_out = false;
  if (timeout == std::chrono::milliseconds::zero()) {
    s.deadline = Clock::time_point::max();
    return;
  }
  const auto now = Clock::now();
  if (phase == Phase::idle) s.idle_since = now;
  s.deadline = now + timeout;
  if (s.deadline + slack_ < sweep_at_) {
    sweep_at_ = s.deadline + slack_;
    timer_.expires_at(sweep_at_);  // wakes wait(), whose caller waits again for the new time
  }
}

asio::awaitable<void> Deadlines::wait() {
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by a re-arm: not an error
}

void Deadlines::sweep_if_due(const Sessions& sessions) {
  const auto now = Clock::now();
  if (now < sweep_at_) return;
  Clock::time_point next = Clock::time_point::max();
  for (const auto& s : sessions) {
    if (s->closed || s->deadline == Clock::time_point::max()) continue;
    if (s->deadline <= now) {
      s->timed_out = true;
      s->deadline = Clock::time_point::max();
      boost::system::error_code ignored;
      s->socket.cancel(ignored);
    } else {
      next = std::min(next, s->deadline);
    }
  }
  sweep_at_ = next == Clock::time_point::max() ? next : next + slack_;
  timer_.expires_at(sweep_at_);
}

void Deadlines::cancel() { timer_.cancel(); }

}  // namespace agentd::server
