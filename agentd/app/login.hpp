// Handlers of logins: login_start asks the profile's kind to start its flow, login_wait collects it.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/logins.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages.hpp"

namespace agentd::app {

// Logins through the profile's kind (agentd/kinds); the flow runs in the background.
class LoginHandlers {
 public:
  LoginHandlers(services::Settings& settings, services::Credentials& credentials, services::Logins& logins)
      : settings_(settings), credentials_(credentials), logins_(logins) {}
  // Starts a login (superseding the profile's older one); it finishes in the background.
  Handled<proto::LoginStart> on(const proto::LoginStart& request);
  // Waits for a login's outcome.
  Handled<proto::LoginWait> on(const proto::LoginWait& request);

 private:
  services::Settings& settings_;
  services::Credentials& credentials_;
  services::Logins& logins_;
};

}  // namespace agentd::app
