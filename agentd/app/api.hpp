// Handler of api_request (`fluxloop api`): any platform request with the agent's credentials.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/platform.hpp"
#include "proto/messages_platform.hpp"

namespace agentd::app {

// `fluxloop api`: one platform request, the answer passed on as it is.
class ApiHandlers {
 public:
  explicit ApiHandlers(services::Platform& platform) : platform_(platform) {}
  // The platform's answer (status, content type, body) for any HTTP answer; an error only when none exists.
  Handled<proto::ApiRequest> on(const proto::ApiRequest& request);

 private:
  services::Platform& platform_;
};

}  // namespace agentd::app
