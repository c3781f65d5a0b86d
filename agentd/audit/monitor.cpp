#include "agentd/audit/monitor.hpp"

#include <boost/asio/steady_timer.hpp>

#include "agentd/audit/anomalies.hpp"

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

}  // namespace

struct Monitor::Impl : std::enable_shared_from_this<Monitor::Impl> {
  Impl(asio::any_io_executor executor, std::string path, LogLimits limits)
      : timer(std::move(executor)), log(std::move(path), limits) {}

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
  AuditLog log;
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
  impl_->log.flush();
}

void Monitor::configure(const config::Monitoring& thresholds) { impl_->detector.set_thresholds(thresholds); }

void Monitor::record(const server::Peer& peer, std::string_view op, const Subject& subject, const proto::Error* error) {
  auto& s = *impl_;
  if (!subject.audited && !error) return;
  const auto now = std::chrono::system_clock::now();
  ++s.requests;
  s.detector.request(std::chrono::steady_clock::now());
  const std::string_view outcome = error ? proto::to_string(error->code) : std::string_view("ok");
  s.log.append(Record{now, peer.pid, peer.uid, peer.exe, op, subject.name, outcome});
  if (s.stopped) {
    s.log.flush();
  } else if (s.log.buffered() > 0) {
    s.arm();
  }
  if (subject.use && touches_credential(error)) {
    s.usage.record(subject.kind, subject.name, now, error ? Outcome::failed : Outcome::ok);
  }
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
