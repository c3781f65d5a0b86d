// The secret store interface: where credentials live between agent runs (keyring or 0600 file).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/store/credentials.hpp"
#include "proto/enums.hpp"
#include "proto/result.hpp"

namespace agentd::store {

using ProfileCredentials = std::map<std::string, Credentials>;

// The error every store reports its failures with (a message saying what to do).
inline proto::Error store_error(std::string message) { return {proto::ErrorCode::store_error, std::move(message)}; }

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  // Which store this is (agent status; config.json records its spelling).
  virtual proto::StoreKind kind() const noexcept = 0;
  // Where it keeps things, for `agent status` ("/home/u/.fluxloop/credentials.json", "Secret Service").
  virtual std::string location() const = 0;
  // Every stored profile. A corrupt file or a locked/unreachable keyring is an error (store_error),
  // never an empty map. Never blocks the calling thread; never hangs past the store's own deadline.
  virtual boost::asio::awaitable<proto::Result<ProfileCredentials>> load_all() = 0;
  // Replaces one profile's credentials durably (file: temp + fsync + rename), keeping the others.
  virtual boost::asio::awaitable<proto::Status> save(const std::string& profile, const Credentials& credentials) = 0;
  // Forgets one profile; absent is not an error.
  virtual boost::asio::awaitable<proto::Status> erase(const std::string& profile) = 0;
};

enum class StoreKind { keyring, file };

struct StoreSelection {
  std::unique_ptr<SecretStore> store;
  std::string detail;  // why: "forced by FLUXLOOP_STORE", "recorded choice", "Secret Service answered", …
};

// Chooses the store. `forced` is FLUXLOOP_STORE ("", "keyring" or "file"; anything else is an error).
// `recorded` is the choice a previous run recorded ("" when none): it is kept, never silently changed
// (a recorded keyring that does not answer is an error naming FLUXLOOP_STORE=file as the way out).
// With neither, probes the Secret Service with a short deadline: keyring if it answers, else file.
boost::asio::awaitable<proto::Result<StoreSelection>> select_store(boost::asio::any_io_executor executor,
                                                                   const std::string& home,
                                                                   const std::string& forced,
                                                                   const std::string& recorded);

}  // namespace agentd::store
