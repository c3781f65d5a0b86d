// The wire shapes that clients' --json output and docs/protocol.md rely on, beyond the round trip
// (codec_test.cpp): which fields are written always, only when set, or as null.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "proto/codec.hpp"

namespace {

template <typename T>
nlohmann::json json_of(const T& message) {
  nlohmann::json out = nlohmann::json::object();
  write(out, message);
  return out;
}

}  // namespace

TEST_CASE("messages: an empty agent status writes its counters and locked, not what is unset") {
  const auto out = json_of(proto::AgentStatusReply{});
  CHECK(out == nlohmann::json::parse(R"({"version":"","pid":0,"uptime_seconds":0,"socket":"","store":"keyring",
      "home":"","profiles":0,"connections":0,"locked":false,"requests":0,"usage":[],"anomalies":[]})"));
  proto::AgentStatusReply set;
  set.lifetime_seconds = 60;
  set.launch = proto::LaunchMode::systemd_socket;
  proto::Usage usage;
  usage.name = "p";
  usage.kind = proto::UsageKind::api_key;
  set.usage.push_back(usage);
  const auto written = json_of(set);
  CHECK(written["lifetime_seconds"] == 60);
  CHECK(written["launch"] == "systemd-socket");
  CHECK(written["usage"] == nlohmann::json::parse(R"([{"name":"p","kind":"api_key","requests":0,"failures":0}])"));
}

TEST_CASE("messages: expires_in travels only with expires_at") {
  proto::ProfileStatus status;
  status.name = "p";
  status.expires_in = 5;
  CHECK_FALSE(json_of(status).contains("expires_in"));
  status.expires_at = "2030-01-01T00:00:00Z";
  CHECK(json_of(status)["expires_in"] == 5);
  CHECK_FALSE(json_of(status).contains("credential"));
  status.credential = proto::CredentialType::api_key;
  CHECK(json_of(status)["credential"] == "api_key");
}

TEST_CASE("messages: an API key record says null for never used, and nests in replies") {
  proto::ApiKeyReply reply;
  reply.record.id = "k1";
  const auto out = json_of(reply);
  CHECK(out == nlohmann::json::parse(R"({"record":{"id":"k1","name":"","scope":"","type":"","last_used_at":null,
      "usage_count":0,"failed_attempts":0}})"));
}

TEST_CASE("messages: a key scope or type the platform spells in a way we do not know is kept as it is") {
  // Records come from the platform ("accept any reasonable value"): only the client's own requests
  // are wire enums.
  const nlohmann::json doc = {{"record", {{"id", "k1"}, {"scope", "project:deploy"}, {"type", "robot"}}}};
  proto::ApiKeyReply reply;
  proto::Reader in(doc);
  read(in, reply);
  REQUIRE(in.ok());
  CHECK(reply.record.scope == "project:deploy");
  CHECK(reply.record.type == "robot");
}

TEST_CASE("messages: apikey_create's scope and type are wire enums, absent when not chosen") {
  proto::ApiKeyCreate request;
  request.name = "ci";
  CHECK_FALSE(json_of(request).contains("scope"));
  request.scope = proto::KeyScope::read_write;
  request.type = proto::KeyType::service_account;
  CHECK(json_of(request)["scope"] == "read-write");
  CHECK(json_of(request)["type"] == "service-account");
  const nlohmann::json unknown = {{"name", "ci"}, {"scope", "everything"}};
  proto::ApiKeyCreate refused;
  proto::Reader in(unknown);
  read(in, refused);
  REQUIRE_FALSE(in.ok());
  CHECK(in.error()->message.find("scope") != std::string::npos);
}
