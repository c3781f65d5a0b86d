#include "agentd/audit/monitor.hpp"

#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "agentd/audit/anomalies.hpp"
#include "agentd/util/log_throttle.hpp"

namespace agentd::audit {
namespace {

namespace asio = boost::asio;

// Outcomes that name no credential at all (a typo'd profile, a bad argument) are audited but do not
// enter the figures: otherwise any string a client sends would become a table entry.
bool touches_credential(const proto::Error* error) {
  if (!error) return true;
  switch (error->code) {
    case proto::ErrorCode::no_such_profile:
    case proto::ErrorCode::invalid_argument:
    case proto::ErrorCode::bad_request:
      return false;
    default:
      return true;
  }
}

// Malformed frames: audit lines per peer and code, per window; the rest become one summary line.
constexpr int kInvalidAuditBurst = 3;
constexpr std::chrono::seconds kInvalidAuditWindow{10};
// Per-request warnings in the agent's log, per peer and kind, per window.
constexpr int kWarningBurst = 5;
constexpr std::chrono::seconds kWarningWindow{60};
// While summaries are pending, ended windows are looked for this often.
constexpr std::chrono::seconds kSweepInterval{1};
constexpr std::size_t kMaxLoggedMessage = 200;  // bytes of an error message in a log line

struct InvalidNote {
  server::Peer peer;
  std::string outcome;
};
struct WarningNote {
  std::string what;  // "rejected requests from pid 42 (bad_request)"
};

}  // namespace

struct Monitor::Impl : std::enable_shared_from_this<Monitor::Impl> {
  Impl(asio::any_io_executor executor, std::string path, LogLimits limits)
      : timer(executor), sweeper(std::move(executor)), log(std::move(path), limits) {}

  // Writes the summaries of windows that ended (all of them at shutdown), then re-arms while more wait.
  void sweep(std::chrono::steady_clock::time_point now) {
    for (auto& summary : invalid.expire(now)) {
      const auto& peer = summary.note.peer;
      log.append(Record{std::chrono::system_clock::now(), peer.pid, peer.uid, peer.exe, "invalid_request", "",
                        summary.note.outcome, summary.suppressed});
    }
    for (auto& summary : warnings.expire(now)) {
      spdlog::warn("suppressed {} similar warnings: {}", summary.suppressed, summary.note.what);
    }
    if (const auto lost = invalid.take_overflow() + warnings.take_overflow(); lost > 0) {
      spdlog::warn("suppressed {} warnings from too many different peers", lost);
    }
    if (log.buffered() > 0) arm();
    arm_sweep();
  }
  void arm_sweep() {
    if (sweep_armed || stopped || (!invalid.pending() && !warnings.pending())) return;
    sweep_armed = true;
    sweeper.expires_after(kSweepInterval);
    sweeper.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->sweep_armed = false;
      if (!ec) self->sweep(std::chrono::steady_clock::now());
    });
  }
  // A warning about `peer`, unless its kind (`key`) passed its share in the current window.
  void warn(const std::string& key, std::string what, const std::string& line) {
    auto verdict = warnings.admit(key, WarningNote{std::move(what)}, std::chrono::steady_clock::now());
    if (verdict.suppressed > 0) spdlog::warn("suppressed {} similar warnings before this one", verdict.suppressed);
    if (verdict.pass) spdlog::warn("{}", line);
    arm_sweep();
  }

  // One answered request: its audit line, the request rate, and the figures of the credential `used`
  // (its kind; nullopt when the request is no use of one).
  void record(const server::Peer& peer, std::string_view op, std::string_view name,
              std::optional<CredentialKind> used, const proto::Error* error) {
    const auto now = std::chrono::system_clock::now();
    ++requests;
    detector.request(std::chrono::steady_clock::now());
    const std::string_view outcome = error ? proto::to_string(error->code) : std::string_view("ok");
    log.append(Record{now, peer.pid, peer.uid, peer.exe, op, name, outcome});
    if (stopped) {
      log.flush();
    } else if (log.buffered() > 0) {
      arm();
    }
    if (used && touches_credential(error)) usage.record(*used, name, now, error ? Outcome::failed : Outcome::ok);
  }

  // The timer only runs while lines wait in the buffer: an idle agent has no periodic wake-up.
  void arm() {
    if (timer_armed || stopped) return;
    timer_armed = true;
    timer.expires_after(kFlushInterval);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->timer_armed = false;
      if (!ec) self->log.flush();
    });
  }

  asio::steady_timer timer;
  asio::steady_timer sweeper;
  AuditLog log;
  util::Throttle<InvalidNote> invalid{kInvalidAuditBurst, kInvalidAuditWindow};
  util::Throttle<WarningNote> warnings{kWarningBurst, kWarningWindow};
  bool sweep_armed = false;
  UsageTable usage;
  AnomalyDetector detector;
  std::int64_t requests = 0;
  bool timer_armed = false;
  bool stopped = false;
};

Monitor::Monitor(asio::any_io_executor executor, std::string log_path, LogLimits limits)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(log_path), limits)) {}

Monitor::~Monitor() {
  impl_->timer.cancel();
  impl_->sweeper.cancel();
  impl_->log.flush();
}

void Monitor::configure(const config::Monitoring& thresholds) { impl_->detector.set_thresholds(thresholds); }

void Monitor::record(const server::Peer& peer, std::string_view op, const Subject& subject, const proto::Error* error) {
  if (!subject.audited && !error) return;
  impl_->record(peer, op, subject.name, subject.use ? std::optional(subject.kind) : std::nullopt, error);
}

void Monitor::record_use(const server::Peer& peer, std::string_view op, std::string_view profile) {
  impl_->record(peer, op, profile, CredentialKind::profile, nullptr);
}

void Monitor::invalid_request(const server::Peer& peer, const proto::Error& error) {
  auto& s = *impl_;
  ++s.requests;
  const auto now = std::chrono::steady_clock::now();
  s.detector.request(now);
  const std::string_view outcome = proto::to_string(error.code);
  const std::string key = std::to_string(peer.pid) + " " + std::string(outcome);
  auto verdict = s.invalid.admit(key, InvalidNote{peer, std::string(outcome)}, now);
  const auto wall = std::chrono::system_clock::now();
  if (verdict.suppressed > 0) {
    s.log.append(Record{wall, peer.pid, peer.uid, peer.exe, "invalid_request", "", outcome, verdict.suppressed});
  }
  if (verdict.pass) s.log.append(Record{wall, peer.pid, peer.uid, peer.exe, "invalid_request", "", outcome});
  if (s.stopped) s.log.flush();
  else if (s.log.buffered() > 0) s.arm();
  s.warn("rejected " + key, "rejected requests from pid " + std::to_string(peer.pid) + " (" + std::string(outcome) + ")",
         "rejected request from pid " + std::to_string(peer.pid) + ": " +
             util::log_excerpt(error.message, kMaxLoggedMessage));
}

void Monitor::log_failure(const server::Peer& peer, std::string_view op, const proto::Error& error) {
  const std::string_view code = proto::to_string(error.code);
  const std::string key = "failed " + std::to_string(peer.pid) + " " + std::string(op) + " " + std::string(code);
  const std::string line = "op=" + std::string(op) + " pid=" + std::to_string(peer.pid) + " error=" + std::string(code);
  auto& s = *impl_;
  auto verdict = s.warnings.admit(key, WarningNote{"failed " + std::string(op) + " requests from pid " +
                                                   std::to_string(peer.pid) + " (" + std::string(code) + ")"},
                                  std::chrono::steady_clock::now());
  if (verdict.suppressed > 0) spdlog::info("suppressed {} similar lines before this one", verdict.suppressed);
  if (verdict.pass) spdlog::info("{}", line);
  s.arm_sweep();
}

void Monitor::rejected_peer(const server::Peer& peer) {
  impl_->detector.rejected_peer(peer.pid, peer.uid, std::chrono::steady_clock::now());
}

void Monitor::refresh_failed(std::string_view profile, proto::ErrorCode code) {
  impl_->detector.refresh_failure(profile, proto::to_string(code), std::chrono::steady_clock::now());
}

void Monitor::shutdown() {
  impl_->stopped = true;
  impl_->timer.cancel();
  impl_->sweeper.cancel();
  // Every pending summary now, window ended or not: what was suppressed is never lost.
  impl_->sweep(std::chrono::steady_clock::now() + std::chrono::hours(24));
  impl_->log.flush();
}

std::int64_t Monitor::requests() const noexcept { return impl_->requests; }

std::vector<proto::Usage> Monitor::usage() const { return impl_->usage.snapshot(); }

std::vector<proto::Anomaly> Monitor::anomalies() const {
  const auto& list = impl_->detector.anomalies();
  return {list.begin(), list.end()};
}

const Figures* Monitor::figures(CredentialKind kind, std::string_view name) const {
  return impl_->usage.find(kind, name);
}

}  // namespace agentd::audit
