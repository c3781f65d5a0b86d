// Handlers of apikey_* (docs/apikeys.md): keys are created, listed, looked up, revoked and rotated
// at the platform; a key is shown once (or kept in a new profile) and never logged.
#pragma once

#include <string>
#include <vector>

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/platform.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages_platform.hpp"

namespace agentd::app {

// The apikey_* ops, through the platform service with the target's credential.
class ApiKeyHandlers {
 public:
  ApiKeyHandlers(const services::Settings& settings, services::Credentials& credentials, services::Platform& platform)
      : settings_(settings), credentials_(credentials), platform_(platform) {}
  // Creates a key; shows it once, or keeps it in a new profile (--store).
  Handled<proto::ApiKeyCreate> on(const proto::ApiKeyCreate& request);
  // The target's keys, each with the profiles of this agent holding it.
  Handled<proto::ApiKeyList> on(const proto::ApiKeyList& request);
  // One key, by value, id or name.
  Handled<proto::ApiKeyInfo> on(const proto::ApiKeyInfo& request);
  // Revokes one key (by value, id or name) at the platform; profiles holding it keep it (warned).
  Handled<proto::ApiKeyRevoke> on(const proto::ApiKeyRevoke& request);
  // A replacement swapped into every profile holding the old key; the old one revoked now or after a grace.
  Handled<proto::ApiKeyRotate> on(const proto::ApiKeyRotate& request);
  // Revokes a rotated key whose grace ended (platform::Revocations); a key already gone is Ok.
  boost::asio::awaitable<proto::Status> revoke_pending(const platform::PendingRevocation& pending);

 private:
  struct KeyPlace;  // where a target's keys live
  struct Created;   // a key just created (wiped on destruction)
  std::vector<std::string> holders(const proto::ApiKeyRecord& record) const;
  proto::Result<KeyPlace> place_of(const proto::Target& target) const;
  boost::asio::awaitable<proto::Result<std::vector<proto::ApiKeyRecord>>> list_records(const proto::Target& target);
  boost::asio::awaitable<proto::Result<proto::ApiKeyRecord>> find_record(const proto::Target& target,
                                                                         const std::string& key_or_id);
  boost::asio::awaitable<proto::Result<Created>> create_key(const proto::Target& target, const std::string& name,
                                                            const std::string& scope, const std::string& type);
  boost::asio::awaitable<proto::Status> delete_key(const proto::Target& target, const std::string& id);
  boost::asio::awaitable<proto::Status> store_key(const std::string& profile, const Created& created,
                                                  store::Credentials credentials);

  const services::Settings& settings_;
  services::Credentials& credentials_;
  services::Platform& platform_;
};

}  // namespace agentd::app
