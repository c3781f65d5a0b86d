// The agent's own requests (status, stop, lock) and its monitoring records (docs/protocol.md,
// docs/audit.md), and the generic empty reply. Fields: proto/fields.hpp; JSON: messages.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/enums.hpp"
#include "proto/fields.hpp"

namespace proto {

// ---- generic replies -------------------------------------------------------------------------

struct OkReply {
  template <typename Self, typename V>
  static void fields(Self&, V&) {}
  bool operator==(const OkReply&) const = default;
};

// ---- monitoring (docs/audit.md) --------------------------------------------------------------

// Use of one credential: a profile held by the agent, or an API key passed by a client (masked).
struct Usage {
  std::string name;          // profile name, or the masked key ("flx_…a1b2")
  UsageKind kind = UsageKind::profile;
  std::string last_used;     // RFC 3339 UTC, empty when never used
  std::int64_t requests = 0; // requests that used the credential
  std::int64_t failures = 0; // of those, refused or failed (scope, revoked, login required, network)

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("name", m.name);
    v.always("kind", m.kind);
    v.optional("last_used", m.last_used);
    v.always("requests", m.requests);
    v.always("failures", m.failures);
  }
  bool operator==(const Usage&) const = default;
};

// Something unusual the agent noticed (also logged as a warning).
struct Anomaly {
  std::string time;    // RFC 3339 UTC
  AnomalyKind kind = AnomalyKind::request_rate;
  std::string detail;  // for people; never a secret

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("time", m.time);
    v.required("kind", m.kind);
    v.always("detail", m.detail);
  }
  bool operator==(const Anomaly&) const = default;
};

// ---- agent -----------------------------------------------------------------------------------

struct AgentStatusReply {
  std::string version;
  std::int64_t pid = 0;
  std::int64_t uptime_seconds = 0;
  std::string socket;
  StoreKind store = StoreKind::keyring;
  std::string store_detail;  // why this store was chosen, or its current problem
  std::string home;          // FLUXLOOP_HOME in use
  std::optional<LaunchMode> launch;  // absent from agents older than the field
  std::string unit;          // the systemd unit running the agent ("" when none)
  std::int64_t profiles = 0;
  std::int64_t connections = 0;
  bool locked = false;                 // agent_lock in force: no secret is served
  std::int64_t lifetime_seconds = 0;   // --lifetime of the agent (0: none)
  std::int64_t requests = 0;           // requests answered since start
  std::vector<Usage> usage;            // per profile and per API key
  std::vector<Anomaly> anomalies;      // most recent last, bounded

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("version", m.version);
    v.always("pid", m.pid);
    v.always("uptime_seconds", m.uptime_seconds);
    v.always("socket", m.socket);
    v.always("store", m.store);
    v.optional("store_detail", m.store_detail);
    v.always("home", m.home);
    v.optional("launch", m.launch);
    v.optional("unit", m.unit);
    v.always("profiles", m.profiles);
    v.always("connections", m.connections);
    v.always("locked", m.locked);
    v.optional("lifetime_seconds", m.lifetime_seconds);
    v.always("requests", m.requests);
    v.always("usage", m.usage);
    v.always("anomalies", m.anomalies);
  }
  bool operator==(const AgentStatusReply&) const = default;
};
struct AgentStatus {
  static constexpr std::string_view kOp = "agent_status";
  using Reply = AgentStatusReply;

  template <typename Self, typename V>
  static void fields(Self&, V&) {}
  bool operator==(const AgentStatus&) const = default;
};

struct AgentStop {
  static constexpr std::string_view kOp = "agent_stop";
  using Reply = OkReply;

  template <typename Self, typename V>
  static void fields(Self&, V&) {}
  bool operator==(const AgentStop&) const = default;
};

// Locks the agent with a passphrase: until agent_unlock with the same passphrase no secret is served
// (get_token, api_request, apikeys_*); refreshes go on. Locking a locked agent is an error.
struct AgentLock {
  static constexpr std::string_view kOp = "agent_lock";
  using Reply = OkReply;
  std::string passphrase;  // a secret; never logged

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("passphrase", m.passphrase);
  }
  bool operator==(const AgentLock&) const = default;
};
struct AgentUnlock {
  static constexpr std::string_view kOp = "agent_unlock";
  using Reply = OkReply;
  std::string passphrase;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("passphrase", m.passphrase);
  }
  bool operator==(const AgentUnlock&) const = default;
};

// ---- JSON conversion (one pair per struct) ---------------------------------------------------

FLUXLOOP_PROTO_MESSAGE(OkReply)
FLUXLOOP_PROTO_MESSAGE(Usage)
FLUXLOOP_PROTO_MESSAGE(Anomaly)
FLUXLOOP_PROTO_MESSAGE(AgentStatusReply)
FLUXLOOP_PROTO_MESSAGE(AgentStatus)
FLUXLOOP_PROTO_MESSAGE(AgentStop)
FLUXLOOP_PROTO_MESSAGE(AgentLock)
FLUXLOOP_PROTO_MESSAGE(AgentUnlock)

}  // namespace proto
