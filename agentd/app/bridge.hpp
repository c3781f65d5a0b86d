// Handler of bridge_sync (pass-through): brings $HOME/.fluxloop/auth.json in line before the
// platform CLI runs.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/bridge.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages_bridge.hpp"

namespace agentd::app {

// The pass-through's sync with the bridge file.
class BridgeHandlers {
 public:
  BridgeHandlers(const services::Settings& settings, services::Credentials& credentials, services::Bridge& bridge)
      : settings_(settings), credentials_(credentials), bridge_(bridge) {}
  // Refreshes the bridged profile if its token is valid for less than min_valid, then waits for the file.
  Handled<proto::BridgeSync> on(const proto::BridgeSync& request);

 private:
  const services::Settings& settings_;
  services::Credentials& credentials_;
  services::Bridge& bridge_;
};

}  // namespace agentd::app
