// Every session's one deadline, enforced by one timer for the whole server: entering a phase is a
// plain store, and the timer is re-armed only when a deadline falls before the sweep already planned.
// Private to agentd/server/ (includes Asio).
#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agentd/server/session.hpp"

namespace agentd::server {

class Deadlines {
 public:
  // `slack`: how late past a deadline a sweep may come (sweeps are batched by it).
  Deadlines(const boost::asio::any_io_executor& executor, std::chrono::milliseconds slack);

  // Puts `s` in `phase` with a deadline `timeout` from now (zero: none); idle also stamps idle_since.
  void expect(Session& s, Phase phase, std::chrono::milliseconds timeout);
  // Waits for the planned sweep time, or until the plan changes or cancel() (then returns early).
  boost::asio::awaitable<void> wait();
  // After wait(): if the planned time has come, cancels the pending operation of every open session
  // past its deadline (marked timed_out; it then ends or answers `timeout`) and plans the next sweep
  // after the earliest deadline left. O(sessions), once per planned sweep, never per request.
  void sweep_if_due(const Sessions& sessions);
  // Wakes wait() (shutdown).
  void cancel();

 private:
  boost::asio::steady_timer timer_;
  SessionClock::time_point sweep_at_ = SessionClock::time_point::max();
  std::chrono::milliseconds slack_;
};

}  // namespace agentd::server
