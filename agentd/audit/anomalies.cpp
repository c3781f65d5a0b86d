#include "agentd/audit/anomalies.hpp"

#include <cmath>

#include <spdlog/spdlog.h>

#include "agentd/tokens/clock.hpp"

namespace agentd::audit {

double WindowCounter::add(Clock::time_point now) {
  if (!start_ || now - *start_ >= 2 * window_) {
    // First event, or a whole window of silence: nothing earlier overlaps.
    start_ = now;
    previous_ = 0;
    current_ = 0;
  } else if (now - *start_ >= window_) {
    start_ = *start_ + window_;
    previous_ = current_;
    current_ = 0;
  }
  ++current_;
  const double elapsed = std::chrono::duration<double>(now - *start_) / std::chrono::duration<double>(window_);
  return static_cast<double>(previous_) * (1.0 - elapsed) + static_cast<double>(current_);
}

bool AnomalyDetector::due(Check& check, double count, std::int64_t threshold, Trigger trigger,
                          Clock::time_point now) {
  if (threshold <= 0) return false;  // check turned off
  // Compare on whole events: the estimate's fraction must not make 2.9 look like "3 reached".
  const auto events = static_cast<std::int64_t>(std::floor(count + 1e-9));
  const bool passed = trigger == Trigger::above ? events > threshold : events >= threshold;
  if (!passed) return false;
  if (check.reported && now - *check.reported < kAnomalyWindow) return false;  // one per window per kind
  check.reported = now;
  return true;
}

void AnomalyDetector::report(proto::AnomalyKind kind, std::string detail) {
  spdlog::warn("anomaly {}: {}", proto::to_string(kind), detail);
  proto::Anomaly anomaly;
  anomaly.time = tokens::format_rfc3339(std::chrono::system_clock::now());
  anomaly.kind = kind;
  anomaly.detail = std::move(detail);
  anomalies_.push_back(std::move(anomaly));
  while (anomalies_.size() > kMaxAnomalies) anomalies_.pop_front();
}

void AnomalyDetector::request(Clock::time_point now) {
  const double count = rate_.counter.add(now);
  if (!due(rate_, count, thresholds_.request_rate_per_minute, Trigger::above, now)) return;
  report(proto::AnomalyKind::request_rate, "request rate spike: about " + std::to_string(static_cast<std::int64_t>(count)) +
                             " requests in the last minute (threshold " +
                             std::to_string(thresholds_.request_rate_per_minute) + " per minute)");
}

void AnomalyDetector::rejected_peer(pid_t pid, uid_t uid, Clock::time_point now) {
  const double count = rejected_.counter.add(now);
  if (!due(rejected_, count, thresholds_.rejected_peers, Trigger::at_or_above, now)) return;
  report(proto::AnomalyKind::rejected_peers, std::to_string(static_cast<std::int64_t>(count)) +
                               " connections from other users refused in the last minute (latest: pid " +
                               std::to_string(pid) + ", uid " + std::to_string(uid) + ")");
}

void AnomalyDetector::refresh_failure(std::string_view profile, std::string_view error, Clock::time_point now) {
  const double count = refresh_.counter.add(now);
  if (!due(refresh_, count, thresholds_.refresh_failures, Trigger::at_or_above, now)) return;
  report(proto::AnomalyKind::refresh_failures, std::to_string(static_cast<std::int64_t>(count)) +
                                 " token refreshes failed in the last minute (latest: profile " + std::string(profile) +
                                 ", " + std::string(error) + ")");
}

}  // namespace agentd::audit
