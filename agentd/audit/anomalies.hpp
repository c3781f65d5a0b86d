// Anomaly detection: request-rate spikes, repeated rejected peers, repeated refresh failures. Each
// kind is reported at most once per window, logged as a warning and kept in a bounded list.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "agentd/config/config.hpp"
#include "proto/messages.hpp"

namespace agentd::audit {

inline constexpr std::chrono::seconds kAnomalyWindow{60};  // thresholds are per this window
inline constexpr std::size_t kMaxAnomalies = 32;            // kept for agent status, oldest dropped

// A count over a sliding window, estimated from the current and the previous fixed window (the
// previous one weighted by how much of it still overlaps): O(1) memory, no per-event storage.
class WindowCounter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WindowCounter(Clock::duration window = kAnomalyWindow) : window_(window) {}
  // Counts one event at `now` and returns the estimated number of events in (now - window, now].
  double add(Clock::time_point now);

 private:
  Clock::duration window_;
  std::optional<Clock::time_point> start_;  // of the current fixed window
  std::int64_t current_ = 0;
  std::int64_t previous_ = 0;
};

class AnomalyDetector {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AnomalyDetector(config::Monitoring thresholds = {}) : thresholds_(thresholds) {}
  void set_thresholds(const config::Monitoring& thresholds) { thresholds_ = thresholds; }

  // One request answered at `now`: a spike is more than request_rate_per_minute in a window.
  void request(Clock::time_point now);
  // One connection of another uid refused: reported when rejected_peers are reached in a window.
  void rejected_peer(pid_t pid, uid_t uid, Clock::time_point now);
  // One failed refresh attempt: reported when refresh_failures are reached in a window.
  void refresh_failure(std::string_view profile, std::string_view error, Clock::time_point now);

  // Reported anomalies, oldest first, at most kMaxAnomalies.
  const std::deque<proto::Anomaly>& anomalies() const noexcept { return anomalies_; }

 private:
  struct Check {
    WindowCounter counter;
    std::optional<Clock::time_point> reported;  // last report: the next one waits a whole window
  };
  // True when `check` should report now (its count passed `threshold` and no report in this window).
  // A rate is anomalous above its threshold; a count of failures once it reaches it.
  enum class Trigger { above, at_or_above };
  static bool due(Check& check, double count, std::int64_t threshold, Trigger trigger, Clock::time_point now);
  void report(proto::AnomalyKind kind, std::string detail);

  config::Monitoring thresholds_;
  Check rate_, rejected_, refresh_;
  std::deque<proto::Anomaly> anomalies_;
};

}  // namespace agentd::audit
