// Keeping untrusted input from flooding the agent's log and audit log: echoed text is cut and made
// printable, and repeated events of one kind from one peer are counted instead of written.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentd::util {

inline constexpr std::size_t kMaxEchoedBytes = 64;  // of any client-supplied text quoted in a log line

// `text` for a log line: printable ASCII kept, every other byte (and '\') as \xNN, cut after
// `max_bytes` input bytes with "…(N more bytes)" appended.
std::string log_excerpt(std::string_view text, std::size_t max_bytes = kMaxEchoedBytes);

// Counts events per key (e.g. "pid 42 bad_request") in fixed windows: the first `burst` of a window
// pass, the rest are only counted. Each key keeps the Note of its latest event (who, what) for the
// summary. Bounded: past `max_keys` keys, windows that ended quietly are dropped, then new keys are
// refused (admit() passes nothing for them and counts them under the overflow total).
template <typename Note>
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  Throttle(int burst, Clock::duration window, std::size_t max_keys = 256)
      : burst_(burst), window_(window), max_keys_(max_keys) {}

  struct Verdict {
    bool pass = false;             // write this event
    std::uint64_t suppressed = 0;  // events of this key suppressed in its window that just ended
  };
  // One event of `key` at `now`.
  Verdict admit(std::string_view key, const Note& note, Clock::time_point now) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) {
        std::erase_if(buckets_, [&](const auto& entry) {
          return now - entry.second.start >= window_ && entry.second.suppressed == 0;
        });
      }
      if (buckets_.size() >= max_keys_) {
        ++overflow_;
        return {};
      }
      it = buckets_.try_emplace(std::string(key), Bucket{now, 0, 0, note}).first;
    }
    Verdict verdict;
    Bucket& bucket = it->second;
    bucket.note = note;
    if (now - bucket.start >= window_) {
      verdict.suppressed = bucket.suppressed;
      bucket.start = now;
      bucket.passed = 0;
      bucket.suppressed = 0;
    }
    if (bucket.passed < burst_) {
      ++bucket.passed;
      verdict.pass = true;
    } else {
      ++bucket.suppressed;
    }
    return verdict;
  }

  struct Summary {
    Note note;
    std::uint64_t suppressed = 0;
  };
  // Forgets the keys whose window has ended; returns those that suppressed something in it.
  std::vector<Summary> expire(Clock::time_point now) {
    std::vector<Summary> ended;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (now - it->second.start < window_) {
        ++it;
        continue;
      }
      if (it->second.suppressed > 0) ended.push_back({std::move(it->second.note), it->second.suppressed});
      it = buckets_.erase(it);
    }
    return ended;
  }
  // True while some key has suppressed events not yet reported by expire() or admit().
  bool pending() const noexcept {
    return std::any_of(buckets_.begin(), buckets_.end(), [](const auto& entry) { return entry.second.suppressed > 0; });
  }
  // Events refused because every key slot was taken; reading resets it.
  std::uint64_t take_overflow() noexcept { return std::exchange(overflow_, 0); }

 private:
  struct Bucket {
    Clock::time_point start;
    int passed = 0;
    std::uint64_t suppressed = 0;
    Note note;
  };
  int burst_;
  Clock::duration window_;
  std::size_t max_keys_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::uint64_t overflow_ = 0;
};

}  // namespace agentd::util
