// The load generator behind fluxloop-bench-roundtrips: connections spread over a few epoll threads,
// each connection one request in flight at a time (send, wait for the whole reply frame, repeat).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// What to run. Timed mode (requests == 0): round trips for warmup + seconds, measured in the second
// part only. Counted mode (requests > 0): every connection sends `requests` requests, the first one
// of every connection at the same moment (after all are connected), e.g. a single-flight burst.
struct LoadPlan {
  std::string socket;
  int clients = 64;
  int threads = 1;
  double warmup = 1.0;
  double seconds = 5.0;
  long requests = 0;
  bool reconnect = false;   // a new connection per round trip (connect counted in the latency)
  double timeout = 60.0;    // counted mode: give up on replies after this long
};

// The whole frame (header + body) connection `index` sends; called once per connection.
using FrameMaker = std::function<std::string(int index)>;
// Judges one reply body to connection `index`'s frame `request`: "ok", or an error code / "mismatch".
using Checker = std::function<std::string(int index, std::string_view request, std::string_view reply_body)>;
// Called once, when the measured window starts and ends (timed mode), e.g. to sample CPU counters.
using WindowHook = std::function<void(bool start)>;

struct LoadReport {
  double window_seconds = 0;             // measured time (timed) or first send to last reply (counted)
  std::vector<std::uint32_t> latency_ns; // sorted; one per round trip in the window
  std::map<std::string, long> outcomes;  // "ok" / error code -> count, whole run
  long io_errors = 0;                    // connects refused, resets, EOFs mid-run
  long unanswered = 0;                   // counted mode: requests without a reply at the timeout
};

// Runs the plan; never throws for I/O problems (they are counted).
LoadReport run_load(const LoadPlan& plan, const FrameMaker& make_frame, const Checker& check,
                    const WindowHook& hook = {});

// The latency at quantile q (0..1) of sorted samples, in microseconds; 0 when empty.
double percentile_us(const std::vector<std::uint32_t>& sorted_ns, double q);

}  // namespace bench
