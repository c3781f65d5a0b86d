// The two OIDC login flows (browser_flow.cpp, device_flow.cpp), private to agentd/kinds/oidc.
#pragma once

#include "agentd/kinds/oidc/oidc_kind.hpp"
#include "agentd/oauth/tokens.hpp"

namespace agentd::kinds::oidc {

// What both flows need once started.
struct FlowContext {
  Services services;
  ProfileView profile;
  Client client;
  oauth::ProviderMetadata metadata;
  std::string scope;  // space-separated
  std::shared_ptr<LoginControl> control;
};

// Browser: opens the loopback listener and builds the authorization URL (reply.url).
boost::asio::awaitable<proto::Result<StartedLogin>> start_browser(FlowContext context);
// Device: asks the device authorization endpoint for a code (reply.user_code, verification_uri).
boost::asio::awaitable<proto::Result<StartedLogin>> start_device(FlowContext context);

// The credentials of a token response (e-mail from the id token, else userinfo).
boost::asio::awaitable<Arrival> arrival_of(const FlowContext& context, oauth::TokenResponse tokens);

}  // namespace agentd::kinds::oidc
