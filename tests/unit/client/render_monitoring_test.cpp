// Human `agent status` and `auth status`: lock, lifetime, usage figures, anomalies, credential kind.
#include <doctest/doctest.h>

#include "client/render.hpp"

TEST_CASE("agent status report: lock, lifetime, request count, usage per credential, anomalies") {
  proto::AgentStatusReply status;
  status.pid = 42;
  status.store = proto::StoreKind::file;
  status.locked = true;
  status.lifetime_seconds = 8 * 3600;
  status.requests = 17;
  status.usage.push_back({.name = "production", .kind = proto::UsageKind::profile, .last_used = "2024-11-02T10:00:00Z",
                          .requests = 12, .failures = 2});
  status.usage.push_back({.name = "flx_…a1b2", .kind = proto::UsageKind::api_key, .last_used = "", .requests = 1, .failures = 0});
  status.anomalies.push_back({.time = "2024-11-02T10:01:00Z", .kind = proto::AnomalyKind::rejected_peers,
                              .detail = "3 connections from other users refused in the last minute"});
  const std::string text = client::render_agent_status(status);
  CHECK(text.find("locked       yes") != std::string::npos);
  CHECK(text.find("lifetime     8h") != std::string::npos);
  CHECK(text.find("requests     17\n") != std::string::npos);
  CHECK(text.find("production  profile  12        2       2024-11-02T10:00:00Z") != std::string::npos);
  CHECK(text.find("flx_…a1b2") != std::string::npos);
  CHECK(text.find("API key") != std::string::npos);
  CHECK(text.find("anomalies:\n  2024-11-02T10:01:00Z  rejected_peers  3 connections") != std::string::npos);

  proto::AgentStatusReply quiet;
  const std::string plain = client::render_agent_status(quiet);
  CHECK(plain.find("locked       no") != std::string::npos);
  CHECK(plain.find("lifetime") == std::string::npos);
  CHECK(plain.find("usage") == std::string::npos);
  CHECK(plain.find("anomalies") == std::string::npos);
}

TEST_CASE("auth status report: credential kind, masked key, forget time and usage figures") {
  proto::AuthStatusReply reply;
  reply.default_profile = "ci";
  proto::ProfileStatus p;
  p.name = "ci";
  p.state = proto::ProfileState::valid;
  p.credential = proto::CredentialType::api_key;
  p.api_key = "flx_…beef";
  p.forget_at = "2024-11-02T18:00:00Z";
  p.last_used = "2024-11-02T10:00:00Z";
  p.requests = 5;
  p.failures = 1;
  reply.profiles.push_back(p);
  proto::ProfileStatus unused;
  unused.name = "idle";
  unused.state = proto::ProfileState::valid;
  unused.credential = proto::CredentialType::oauth;
  reply.profiles.push_back(unused);
  const std::string text = client::render_auth_status(reply);
  CHECK(text.find("credential  API key") != std::string::npos);
  CHECK(text.find("api key     flx_…beef") != std::string::npos);
  CHECK(text.find("forget at   2024-11-02T18:00:00Z") != std::string::npos);
  CHECK(text.find("last used   2024-11-02T10:00:00Z") != std::string::npos);
  CHECK(text.find("requests    5 (1 failed)") != std::string::npos);
  CHECK(text.find("credential  oauth") != std::string::npos);
  // A profile never used since the agent started shows no usage lines.
  CHECK(text.substr(text.find("idle")).find("requests") == std::string::npos);
}
