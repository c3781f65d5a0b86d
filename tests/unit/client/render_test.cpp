#include <doctest/doctest.h>

#include "client/render.hpp"

TEST_CASE("auth status report: profiles, masked secrets as given, expiry, default marker") {
  proto::AuthStatusReply reply;
  reply.default_profile = "production";
  reply.store = proto::StoreKind::file;
  reply.profiles.push_back({.name = "production", .kind = proto::ProfileKind::oidc, .state = proto::ProfileState::valid, .credential = proto::CredentialType::oauth, .api_key = "",
                            .forget_at = "", .last_used = "", .requests = 0, .failures = 0, .user_email = "u@example.com", .user_id = "",
                            .access_token = "flx_…a1b2", .refresh_token = "flx_…c3d4",
                            .expires_at = "2099-01-01T00:00:00Z", .expires_in = 3725, .api_endpoint = "https://api",
                            .issuer = "", .last_error = ""});
  reply.profiles.push_back({.name = "staging", .kind = proto::ProfileKind::fluxloop, .state = proto::ProfileState::expired, .credential = proto::CredentialType::oauth, .api_key = "",
                            .forget_at = "", .last_used = "", .requests = 0, .failures = 0, .user_email = "", .user_id = "", .access_token = "…",
                            .refresh_token = "", .expires_at = "2020-01-01T00:00:00Z", .expires_in = -120,
                            .api_endpoint = "", .issuer = "", .last_error = ""});
  const std::string text = client::render_auth_status(reply);
  CHECK(text.find("production (default)\n") != std::string::npos);
  CHECK(text.find("flx_…a1b2") != std::string::npos);
  CHECK(text.find("flx_…c3d4") != std::string::npos);
  CHECK(text.find("(in 1h 2m)") != std::string::npos);
  CHECK(text.find("(expired 2m ago)") != std::string::npos);
  CHECK(text.find("staging\n") != std::string::npos);
  CHECK(text.find("store: file") != std::string::npos);
  CHECK(text.find("store problem") == std::string::npos);

  reply.profiles.clear();
  reply.store_problem = "cannot parse /h/credentials.json: truncated";
  const std::string broken = client::render_auth_status(reply);
  CHECK(broken.find("store problem: cannot parse /h/credentials.json") != std::string::npos);
}

TEST_CASE("profile list and agent status reports") {
  proto::ProfileListReply list;
  list.default_profile = "production";
  list.profiles.push_back({.name = "production", .kind = proto::ProfileKind::oidc, .issuer = "https://auth", .client_id = "c", .api_endpoint = "",
                           .scopes = {}, .lifetime_seconds = 0, .is_default = true, .has_credentials = true});
  list.profiles.push_back({.name = "staging", .kind = proto::ProfileKind::fluxloop, .issuer = "", .client_id = "", .api_endpoint = "https://api-staging",
                           .scopes = {}, .lifetime_seconds = 0, .is_default = false, .has_credentials = false});
  const std::string table = client::render_profile_list(list);
  CHECK(table.rfind("NAME", 0) == 0);
  CHECK(table.find("production  oidc      *") != std::string::npos);
  CHECK(table.find("staging     fluxloop") != std::string::npos);
  CHECK(table.find("https://api-staging") != std::string::npos);

  proto::AgentStatusReply status{.version = "0.1.0", .pid = 42, .uptime_seconds = 90, .socket = "/s",
                                 .store = proto::StoreKind::file, .store_detail = "forced by FLUXLOOP_STORE", .home = "/h",
                                 .launch = proto::LaunchMode::systemd_socket, .unit = "fluxloop-agentd.service", .profiles = 2, .connections = 1, .locked = false, .lifetime_seconds = 0,
                                 .requests = 0, .usage = {}, .anomalies = {}};
  const std::string text = client::render_agent_status(status);
  CHECK(text.find("pid 42, up 1m 30s") != std::string::npos);
  CHECK(text.find("file (forced by FLUXLOOP_STORE)") != std::string::npos);
  CHECK(text.find("started by   systemd socket activation, unit fluxloop-agentd.service") != std::string::npos);

  status.launch = proto::LaunchMode::daemon;
  status.unit = "";
  CHECK(client::render_agent_status(status).find("started by   fluxloop-agentd --daemon\n") != std::string::npos);
  status.launch.reset();  // an older agent says nothing about it
  CHECK(client::render_agent_status(status).find("started by") == std::string::npos);
}
