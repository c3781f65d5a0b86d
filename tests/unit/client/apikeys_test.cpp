#include <doctest/doctest.h>

#include "client/commands_api.hpp"
#include "client/commands_apikeys.hpp"

using namespace client;

TEST_CASE("fluxloop api: exit code by HTTP status") {
  CHECK(exit_code_for_status(200) == 0);
  CHECK(exit_code_for_status(204) == 0);
  CHECK(exit_code_for_status(401) == 3);
  CHECK(exit_code_for_status(403) == 5);
  CHECK(exit_code_for_status(404) == 1);
  CHECK(exit_code_for_status(400) == 1);
  CHECK(exit_code_for_status(429) == 6);
  CHECK(exit_code_for_status(500) == 6);
  CHECK(exit_code_for_status(503) == 6);
  CHECK(exit_code_for_status(302) == 1);
}

TEST_CASE("fluxloop api: the stderr line names the status and the platform's description, sanitised") {
  CHECK(describe_status(403, R"({"error":"insufficient_scope","error_description":"this request needs the 'write' scope; the credential has 'read'"})") ==
        "HTTP 403: Permission denied: this request needs the 'write' scope; the credential has 'read'");
  CHECK(describe_status(404, R"({"error":"not_found"})") == "HTTP 404: not found: not_found");
  CHECK(describe_status(500, "<html>") == "HTTP 500: the platform is unavailable");
  CHECK(describe_status(400, "{\"error\":\"a\\u001b[31mb\"}") == "HTTP 400: a?[31mb");
}

TEST_CASE("apikeys: the target follows the contract's precedence and FLUXLOOP_API_ENDPOINT") {
  Environment env;
  env.api_key = "flx_api_0123456789abcdef0123456789abcdef";
  env.api_endpoint = "https://api.example";
  ApiKeysCommon common;
  auto from_env = apikeys_target(common, env);
  REQUIRE(from_env.ok());
  CHECK(from_env->bearer == env.api_key);
  CHECK(from_env->profile.empty());
  CHECK(from_env->api_endpoint == "https://api.example");
  common.profile = "prod";  // --profile beats FLUXLOOP_API_KEY
  auto from_profile = apikeys_target(common, env);
  REQUIRE(from_profile.ok());
  CHECK(from_profile->profile == "prod");
  CHECK(from_profile->bearer.empty());
  common.api_key = "not-a-key";  // --api-key beats everything, and must look like a key
  CHECK_FALSE(apikeys_target(common, env).ok());
}

TEST_CASE("apikeys: list and info render ids, scopes and masked hints, never a key") {
  proto::ApiKeyRecord r;
  r.id = "key_0123456789abcdef";
  r.name = "ci";
  r.scope = "read";
  r.type = "user";
  r.prefix = "flx_api_1a2b";
  r.last4 = "c3d4";
  r.created_at = "2026-01-01T00:00:00Z";
  r.usage_count = 5;
  r.profiles = {"svc"};
  const std::string table = render_api_keys({r});
  CHECK(table.find("key_0123456789abcdef") != std::string::npos);
  CHECK(table.find("flx_api_1a2b…c3d4") != std::string::npos);
  CHECK(table.find("never") != std::string::npos);
  CHECK(table.find("svc") != std::string::npos);
  const std::string info = render_api_key(r);
  CHECK(info.find("usage count") != std::string::npos);
  CHECK(info.find("profiles") != std::string::npos);
  // A key the platform listed without an id: a dash where the id would be.
  r.id.clear();
  const std::string row = render_api_keys({r}).substr(render_api_keys({r}).find('\n') + 1);
  CHECK(row.rfind("- ", 0) == 0);
  const std::string shown = render_api_key(r);
  CHECK(shown.substr(0, shown.find('\n')).find(" -") != std::string::npos);
}

TEST_CASE("apikeys: list columns line up in the terminal although the key hint holds a multi-byte '…'") {
  proto::ApiKeyRecord r;
  r.id = "key_0123456789abcdef";
  r.name = "ci";
  r.scope = "read";
  r.type = "user";
  r.prefix = "flx_api_1a2b";
  r.last4 = "c3d4";
  r.created_at = "2026-01-01T00:00:00Z";
  const std::string table = render_api_keys({r});
  const auto newline = table.find('\n');
  const std::string header = table.substr(0, newline);
  const std::string row = table.substr(newline + 1);
  // Columns as a terminal counts them: code points, not bytes.
  auto column_of = [](const std::string& line, const std::string& text) {
    const auto at = line.find(text);
    std::size_t columns = 0;
    for (std::size_t i = 0; i < at; ++i) columns += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    return columns;
  };
  CHECK(column_of(header, "CREATED") == column_of(row, "2026-01-01T00:00:00Z"));
}
