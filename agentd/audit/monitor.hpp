// The agent's monitoring: the audit log, usage figures per credential and anomaly detection, fed by
// App::handle (every answered request), the server (refused peers) and the refresher (failures).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "agentd/audit/audit_log.hpp"
#include "agentd/audit/usage.hpp"
#include "agentd/config/config.hpp"
#include "agentd/lock/gate.hpp"
#include "agentd/server/request_handler.hpp"
#include "proto/mask.hpp"
#include "proto/messages.hpp"
#include "proto/messages_platform.hpp"
#include "proto/result.hpp"

namespace agentd::audit {

// Buffered audit lines reach the file at most this long after they were recorded.
inline constexpr std::chrono::milliseconds kFlushInterval{1000};

// What a request acted on, for its audit line and the usage figures. Never a secret.
struct Subject {
  std::string name;  // profile name, or the masked key of a bearer credential; may be empty
  CredentialKind kind = CredentialKind::profile;
  bool use = false;      // the request serves or spends a credential (lock::kServesSecret)
  bool audited = true;   // false for a redact chunk before the last: one line per redact stream
};

// The subject of `request`: its Target (a bearer is masked), else its `profile` (resolved to the
// default profile for a credential use), else a profile op's `name`. `resolve` maps a requested
// profile name ("" = default) to the profile meant.
template <typename Request, typename Resolve>
Subject subject_of(const Request& request, const Resolve& resolve) {
  Subject subject;
  // The ops that serve or spend a credential count in the usage figures (docs/audit.md): the same
  // list a locked agent refuses (get_token, api_request, apikey_*). Login, status, refresh and logout
  // manage credentials and do not.
  subject.use = lock::kServesSecret<Request>;
  if constexpr (requires { request.target.bearer; }) {
    if (!request.target.bearer.empty()) {
      subject.kind = CredentialKind::api_key;
      subject.name = proto::mask_secret(request.target.bearer);
    } else {
      subject.name = resolve(request.target.profile);
    }
  } else if constexpr (requires { request.profile; }) {
    subject.name = subject.use ? resolve(request.profile) : request.profile;
  } else if constexpr (std::is_same_v<Request, proto::ProfileAdd> || std::is_same_v<Request, proto::ProfileRemove>) {
    subject.name = request.name;
  }
  if constexpr (std::is_same_v<Request, proto::Redact>) subject.audited = request.final;
  return subject;
}

class Monitor {
 public:
  // Audit lines go to `log_path` (opened on the first flush; its directory must exist by then).
  Monitor(boost::asio::any_io_executor executor, std::string log_path, LogLimits limits = {});
  ~Monitor();  // flushes
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  void configure(const config::Monitoring& thresholds);
  // One answered request of op `op` from `peer` (`error` null: ok): an audit line (buffered, flushed
  // within kFlushInterval), the usage figures of a credential use, the request rate.
  void record(const server::Peer& peer, std::string_view op, const Subject& subject, const proto::Error* error);
  // record() of a successful use of profile `profile` (get_token's hot path), without building a Subject.
  void record_use(const server::Peer& peer, std::string_view op, std::string_view profile);
  // A frame from `peer` that did not decode. Audited and logged (message cut, non-printables escaped)
  // the first few times per peer and code in a window; the rest become one summary audit line
  // (`count`) and one "suppressed N similar warnings" log line per window (docs/audit.md).
  void invalid_request(const server::Peer& peer, const proto::Error& error);
  // Logs a request of `op` that failed, at most a few lines per peer, op and code in a window; the
  // rest are counted and summarised in one line.
  void log_failure(const server::Peer& peer, std::string_view op, const proto::Error& error);
  // A connection of another uid was refused.
  void rejected_peer(const server::Peer& peer);
  // A token refresh attempt of `profile` failed with `code`.
  void refresh_failed(std::string_view profile, proto::ErrorCode code);
  // At agent shutdown: writes buffered lines and stops the flush timer; later records are written at once.
  void shutdown();

  std::int64_t requests() const noexcept;  // recorded since start
  std::vector<proto::Usage> usage() const;
  std::vector<proto::Anomaly> anomalies() const;
  const Figures* figures(CredentialKind kind, std::string_view name) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::audit
