// Handlers of profiles and configuration: profile_add, profile_list, profile_remove, config_set.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages.hpp"

namespace agentd::app {

// The configuration ops; config changes go through Settings::update (saved first).
class ProfileHandlers {
 public:
  ProfileHandlers(services::Settings& settings, services::Credentials& credentials)
      : settings_(settings), credentials_(credentials) {}
  // Adds a profile; refused when it would re-bind credentials already held to another server.
  Handled<proto::ProfileAdd> on(const proto::ProfileAdd& request);
  // Every configured profile and every profile holding credentials.
  Handled<proto::ProfileList> on(const proto::ProfileList& request);
  // Forgets the profile's credentials (store first), then its configuration.
  Handled<proto::ProfileRemove> on(const proto::ProfileRemove& request);
  // Sets `profile`, `api_key_file` or `cli_bridge`.
  Handled<proto::ConfigSet> on(const proto::ConfigSet& request);

 private:
  services::Settings& settings_;
  services::Credentials& credentials_;
};

}  // namespace agentd::app
