// `fluxloop apikeys …` against the platform emulator through a real agent: create (printed once or
// stored in a profile), list, info and revoke (by id and by value), scopes, and rotation whose grace
// period spans an agent restart. No key ever reaches the agent log or a client's stderr.
#include "tests/integration/apikeys_common.hpp"

#include <filesystem>

using namespace apikeystest;

TEST_CASE("apikeys: create prints the key once, list and info show it, revoke kills it at once") {
  Setup s;
  auto& f = s.agent;
  auto created = f.client({"apikeys", "create", "--name", "ci", "--scope", "read"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string key = created.out.substr(0, created.out.find('\n'));
  CHECK(created.out == key + "\n");  // the key alone on stdout
  CHECK(key.rfind("flx_api_", 0) == 0);
  CHECK(contains(created.err, "will not be shown again"));
  CHECK(s.platform.api_get("/v1/me", key).status == 200);

  const NewKey sa = create_key(f, "robot", {"--type", "service-account", "--scope", "admin"});
  CHECK(sa.key.rfind("flx_sa_", 0) == 0);

  auto listed = f.client({"apikeys", "list", "--json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  const auto keys = json::parse(listed.out)["keys"];
  REQUIRE(keys.size() == 2);
  json ci;
  for (const auto& k : keys) {
    if (k["name"] == "ci") ci = k;
  }
  REQUIRE(ci.is_object());
  CHECK(ci["scope"] == "read");
  CHECK(ci["type"] == "user");
  CHECK_FALSE(contains(listed.out, key));
  auto table = f.client({"apikeys", "list"});
  CHECK(contains(table.out, "robot"));
  CHECK(contains(table.out, "service-account"));

  // info by value (the lookup) and by id: scope, type, usage count (the one GET /v1/me above).
  auto by_value = record_of(raw_reply(f, proto::ApiKeyInfo{.target = {}, .key_or_id = key}));
  CHECK(by_value["id"] == ci["id"]);
  CHECK(by_value["usage_count"] == 1);
  CHECK_FALSE(by_value["last_used_at"].is_null());
  auto by_id = record_of(raw_reply(f, proto::ApiKeyInfo{.target = {}, .key_or_id = sa.id}));
  CHECK(by_id["scope"] == "admin");
  CHECK(by_id["usage_count"] == 0);
  auto unknown = raw_reply(f, proto::ApiKeyInfo{.target = {}, .key_or_id = "key_0000000000000000"});
  CHECK(unknown["error"]["code"] == "not_found");
  // Ids are opaque: "hello" is tried as an id, then as a name, and is neither.
  auto nonsense = raw_reply(f, proto::ApiKeyInfo{.target = {}, .key_or_id = "hello"});
  CHECK(nonsense["error"]["code"] == "not_found");
  CHECK(nonsense["error"]["message"].get<std::string>().find("id or name 'hello'") != std::string::npos);

  // Revoke by value: dead at once (401 at the platform).
  auto revoked = record_of(raw_reply(f, proto::ApiKeyRevoke{.target = {}, .key_or_id = key}));
  CHECK(revoked["id"] == ci["id"]);
  CHECK(s.platform.api_get("/v1/me", key).status == 401);
  auto after = f.client({"apikeys", "list", "--json"});
  CHECK(json::parse(after.out)["keys"].size() == 1);

  check_no_leak(f, {key, sa.key}, {created.err, listed.err, table.err, after.err});
}

TEST_CASE("apikeys: a key kept in a profile (--store) is served by auth token and used by api") {
  Setup s;
  auto& f = s.agent;
  auto stored = f.client({"apikeys", "create", "--name", "svc", "--scope", "read-write", "--store", "svc"});
  REQUIRE_MESSAGE(stored.exit_code == 0, stored.err);
  CHECK(stored.out.empty());  // nothing secret printed
  CHECK(contains(stored.err, "profile svc"));

  auto token = f.client({"auth", "token", "--profile", "svc"});
  REQUIRE(token.exit_code == 0);
  const std::string key = token.out.substr(0, token.out.size() - 1);
  CHECK(key.rfind("flx_api_", 0) == 0);
  CHECK(s.platform.api_get("/v1/me", key).status == 200);

  auto me = f.client({"api", "GET", "/v1/me", "--profile", "svc"});
  REQUIRE_MESSAGE(me.exit_code == 0, me.err);
  CHECK(json::parse(me.out)["credential"] == "api_key");

  auto status = testsupport::profile_status(f, "svc");
  CHECK(status.value("credential", "") == "api_key");
  CHECK(status.value("state", "") == "valid");
  CHECK(status.value("api_key", "").rfind("flx_", 0) == 0);
  CHECK_FALSE(contains(status.dump(), key));

  // The profile's key may not manage keys (read-write): permission denied, exit 5.
  auto denied = f.client({"apikeys", "list", "--profile", "svc"});
  CHECK(denied.exit_code == 5);
  CHECK(contains(denied.err, "Permission denied"));

  // --store refuses an existing profile before creating anything.
  auto again = f.client({"apikeys", "create", "--name", "svc2", "--store", "svc"});
  CHECK(again.exit_code == 1);
  CHECK(contains(again.err, "exists"));
  CHECK(json::parse(f.client({"apikeys", "list", "--json"}).out)["keys"].size() == 1);

  // Revoking the key a profile holds says so; the profile's requests then exit 3.
  auto revoked = raw_reply(f, proto::ApiKeyRevoke{.target = {}, .key_or_id = key});
  CHECK(record_of(revoked)["profiles"] == json::array({"svc"}));
  auto dead = f.client({"api", "GET", "/v1/me", "--profile", "svc"});
  CHECK(dead.exit_code == 3);

  // Survives a restart (persisted in the store).
  REQUIRE(f.stop() == 0);
  f.start();
  auto after = f.client({"auth", "token", "--profile", "svc"});
  CHECK(after.out == key + "\n");

  check_no_leak(f, {key}, {stored.err, token.err, me.err, denied.err, again.err, dead.err, after.err});
}

TEST_CASE("apikeys rotate: the replacement goes into the profile, the old key dies after a grace period spanning a restart") {
  Setup s;
  auto& f = s.agent;
  REQUIRE(f.client({"apikeys", "create", "--name", "deploy", "--scope", "read", "--store", "deploy"}).exit_code == 0);
  const std::string old_key = f.client({"auth", "token", "--profile", "deploy"}).out;
  REQUIRE(old_key.size() > 1);
  const std::string old = old_key.substr(0, old_key.size() - 1);

  auto rotated = f.client({"apikeys", "rotate", "deploy", "--grace", "2s"});
  REQUIRE_MESSAGE(rotated.exit_code == 0, rotated.err);
  CHECK(rotated.out.empty());  // the replacement went into the profile: nothing printed
  CHECK(contains(rotated.err, "revoked at"));
  const std::string new_key = f.client({"auth", "token", "--profile", "deploy"}).out;
  const std::string fresh = new_key.substr(0, new_key.size() - 1);
  CHECK(fresh != old);
  CHECK(fresh.rfind("flx_api_", 0) == 0);

  // The pending revocation is on disk (0600), naming ids only.
  const std::string rotations = f.home() + "/rotations.json";
  const auto perms = std::filesystem::status(rotations).permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) == std::filesystem::perms::none);
  CHECK(json::parse(testsupport::read_file(rotations))["pending"].size() == 1);
  CHECK_FALSE(contains(testsupport::read_file(rotations), old));

  // Within the grace period the old key works; the agent restarts meanwhile.
  CHECK(s.platform.api_get("/v1/me", old).status == 200);
  REQUIRE(f.stop() == 0);
  f.start();
  CHECK(testsupport::eventually([&] { return s.platform.api_get("/v1/me", old).status == 401; }, 6s));
  CHECK(s.platform.api_get("/v1/me", fresh).status == 200);
  CHECK(testsupport::eventually(
      [&] { return json::parse(testsupport::read_file(rotations))["pending"].empty(); }, 2s));

  // Same name, scope and type; one active key of that name.
  auto listed = json::parse(f.client({"apikeys", "list", "--json"}).out)["keys"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["name"] == "deploy");
  CHECK(listed[0]["scope"] == "read");
  CHECK(listed[0]["profiles"] == json::array({"deploy"}));

  // Grace 0 without a holder: the replacement is printed once, the old key dies now.
  const NewKey loose = create_key(f, "loose");
  auto now = f.client({"apikeys", "rotate", loose.id});
  REQUIRE_MESSAGE(now.exit_code == 0, now.err);
  CHECK(now.out.rfind("flx_api_", 0) == 0);
  CHECK(s.platform.api_get("/v1/me", loose.key).status == 401);

  // A grace period needs a profile to revoke with later: a given key is refused.
  auto refused = f.client({"apikeys", "rotate", "deploy", "--grace", "1s"}, {}, {{"FLUXLOOP_API_KEY", fresh}});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "--profile"));

  check_no_leak(f, {old, fresh, loose.key, now.out.substr(0, now.out.find('\n'))}, {rotated.err, now.err, refused.err});
}

// The record travels nested in the reply ({"record": …}): flat, its "id" replaced the frame's request id.
TEST_CASE("apikeys info and revoke through the client, with '-' reading the key from stdin") {
  Setup s;
  auto& f = s.agent;
  const NewKey k = create_key(f, "stdin", {"--scope", "read"});
  auto info = f.client({"apikeys", "info", "-", "--json"}, k.key + "\n");
  REQUIRE_MESSAGE(info.exit_code == 0, info.err);
  CHECK(json::parse(info.out)["id"] == k.id);
  auto human = f.client({"apikeys", "info", k.id});
  CHECK(contains(human.out, "read"));
  auto revoke = f.client({"apikeys", "revoke", "-"}, k.key + "\n");
  REQUIRE_MESSAGE(revoke.exit_code == 0, revoke.err);
  CHECK(contains(revoke.err, k.id));
  CHECK(s.platform.api_get("/v1/me", k.key).status == 401);
  check_no_leak(f, {k.key}, {info.err, human.err, revoke.err});
}

TEST_CASE("apikeys: an imported API-key profile is served and used, and rotate finds it by the key's shape") {
  Setup s;
  auto& f = s.agent;
  const NewKey k = create_key(f, "imported", {"--scope", "read"});
  const std::string file = f.dir() + "/key.json";
  testsupport::write_file(file, json{{"api_key", k.key}, {"api_endpoint", s.platform.issuer()}}.dump(), 0600);
  auto imported = f.client({"auth", "import", file, "--profile", "keyed"});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  CHECK(f.client({"auth", "token", "--profile", "keyed"}).out == k.key + "\n");
  auto me = f.client({"api", "GET", "/v1/me", "--profile", "keyed"});
  CHECK_MESSAGE(me.exit_code == 0, me.err);
  auto refresh = f.client({"auth", "refresh", "--profile", "keyed"});
  CHECK(refresh.exit_code == 1);
  CHECK(contains(refresh.err, "API key"));

  // The imported key carries no id: rotate matches it by prefix and last four characters.
  auto rotated = f.client({"apikeys", "rotate", k.id, "--json"});
  REQUIRE_MESSAGE(rotated.exit_code == 0, rotated.err);
  const auto reply = json::parse(rotated.out);
  CHECK(reply["profiles"] == json::array({"keyed"}));
  CHECK_FALSE(reply.contains("key"));
  const std::string fresh = f.client({"auth", "token", "--profile", "keyed"}).out;
  CHECK(fresh != k.key + "\n");
  CHECK(s.platform.api_get("/v1/me", k.key).status == 401);
  CHECK(s.platform.api_get("/v1/me", fresh.substr(0, fresh.size() - 1)).status == 200);
  check_no_leak(f, {k.key, fresh.substr(0, fresh.size() - 1)}, {imported.err, me.err, refresh.err, rotated.err});
}
