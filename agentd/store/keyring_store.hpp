// The keyring store: one Secret Service item per profile (libsecret), the item's secret being the
// profile's Credentials as JSON. Schema "ai.fluxloop.Agent", attributes {application: fluxloop-agent,
// profile: NAME}, label "FluxLoop credentials (NAME)", stored in the default collection.
//
// Every libsecret call runs on the store's own worker thread (util::BlockingRunner) under a deadline:
// libsecret can block forever (a bus that accepts but never speaks, an unlock prompt nobody answers).
// Lookups never ask to unlock: a locked keyring is reported as an error, not mistaken for "no
// credentials", and starts no prompt.
//
// libsecret 0.20 always uses GIO's process-wide session-bus connection (DBUS_SESSION_BUS_ADDRESS as
// read at its first use). Consequences: a bus that hangs the handshake wedges every later keyring call
// of the process (each is abandoned at its deadline; the agent then uses the file or reports the
// keyring unusable); the store makes that connection not stop the process when the bus goes away.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agentd/store/secret_store.hpp"

namespace agentd::util {
class BlockingRunner;
}

namespace agentd::store {

// How long one keyring operation (load_all, save, erase) may take before it is abandoned.
inline constexpr std::chrono::milliseconds kKeyringCallDeadline{5000};
// How long select_store waits for the Secret Service to answer its probe.
inline constexpr std::chrono::milliseconds kKeyringProbeDeadline{2000};

// Appended to keyring errors: the way out when the keyring cannot be used.
inline constexpr std::string_view kUseFileHint = "; or run the agent with FLUXLOOP_STORE=file to use the credentials file";

// The session bus the keyring is reached on: DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus when
// that is a socket of ours (what GIO itself would use); nullopt when there is none. Reads the
// environment: call it on the thread that owns the environment (start-up), not concurrently with setenv.
std::optional<std::string> session_bus_address();

class KeyringStore final : public SecretStore {
 public:
  // Talks to the Secret Service on the session bus. Connects lazily, on the worker, on the first call.
  // Each operation is abandoned after `call_deadline`. Check session_bus_address() first: without a
  // bus, GIO would try to autolaunch one.
  explicit KeyringStore(std::chrono::milliseconds call_deadline = kKeyringCallDeadline);
  ~KeyringStore() override;
  KeyringStore(const KeyringStore&) = delete;
  KeyringStore& operator=(const KeyringStore&) = delete;

  proto::StoreKind kind() const noexcept override { return proto::StoreKind::keyring; }
  std::string location() const override;
  // Locked items make it fail with the "keyring is locked" store_error (no prompt is started).
  boost::asio::awaitable<proto::Result<ProfileCredentials>> load_all() override;
  boost::asio::awaitable<proto::Status> save(const std::string& profile, const Credentials& credentials) override;
  boost::asio::awaitable<proto::Status> erase(const std::string& profile) override;

  // Whether a Secret Service answers on the bus and has a default collection to store into (one
  // ReadAlias call), within `deadline`. A store_error saying why not, otherwise.
  boost::asio::awaitable<proto::Status> probe(std::chrono::milliseconds deadline = kKeyringProbeDeadline);

  struct Session;  // what the worker-side calls share; used on the worker thread only

 private:
  // Runs `job` on the worker within `deadline`; runner failures become store errors.
  boost::asio::awaitable<proto::Status> run_status(std::function<proto::Status()> job, std::chrono::milliseconds deadline);

  std::chrono::milliseconds call_deadline_;
  std::string location_;
  std::shared_ptr<Session> session_;
  std::unique_ptr<util::BlockingRunner> runner_;
};

}  // namespace agentd::store
