// The keyring store: one Secret Service item per profile (libsecret), the item's secret being the
// profile's Credentials as JSON. Schema "ai.fluxloop.Agent", attributes {application: fluxloop-agent,
// profile: NAME}, label "FluxLoop credentials (NAME)", stored in the default collection.
//
// The libsecret calls run in fluxloop-keyring-helper (agentd/keyring_helper), a process the store
// starts on its first call and that exits after 30 s without one, so libsecret, GLib and GIO never
// load into the agent. Each call has a deadline: libsecret can block forever (a bus that accepts but
// never speaks, an unlock prompt nobody answers); past it the helper is killed and the next call
// starts a fresh one, which reads DBUS_SESSION_BUS_ADDRESS anew. Lookups never ask to unlock: a locked
// keyring is reported as an error, not mistaken for "no credentials", and starts no prompt.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agentd/store/secret_store.hpp"

namespace agentd::store {

// How long one keyring operation (load_all, save, erase) may take before its helper is killed.
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
  // Talks to the Secret Service on the session bus through the helper, started on the first call on
  // whatever executor that call runs. Each operation is ended after `call_deadline`. Check
  // session_bus_address() first: without a bus, GIO would try to autolaunch one.
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

  // The running helper's pid (tests), -1 when none.
  int helper_pid() const;

  struct Helper;  // the helper process and the turn of the calls waiting for it

 private:
  std::chrono::milliseconds call_deadline_;
  std::string location_;
  std::shared_ptr<Helper> helper_;
};

}  // namespace agentd::store
