#include "proto/messages.hpp"

#include <nlohmann/json.hpp>

namespace proto {
namespace {

// Optional strings and lists are written only when set, so replies stay small and readable.
void put(nlohmann::json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}
void put(nlohmann::json& out, const char* key, const std::vector<std::string>& value) {
  if (!value.empty()) out[key] = value;
}
template <typename E>
void put_enum(nlohmann::json& out, const char* key, E value) {
  out[key] = std::string(to_string(value));
}
template <typename T>
void write_list(nlohmann::json& out, const char* key, const std::vector<T>& items) {
  auto& list = out[key] = nlohmann::json::array();
  for (const auto& item : items) write(list.emplace_back(nlohmann::json::object()), item);
}

}  // namespace

void write(nlohmann::json&, const OkReply&) {}
void read(Reader&, OkReply&) {}
void write(nlohmann::json&, const AgentStatus&) {}
void read(Reader&, AgentStatus&) {}
void write(nlohmann::json&, const AgentStop&) {}
void read(Reader&, AgentStop&) {}
void write(nlohmann::json&, const ProfileList&) {}
void read(Reader&, ProfileList&) {}

void write(nlohmann::json& out, const Usage& m) {
  out["name"] = m.name;
  out["kind"] = m.kind;
  put(out, "last_used", m.last_used);
  out["requests"] = m.requests;
  out["failures"] = m.failures;
}
void read(Reader& in, Usage& m) {
  in.required("name", m.name);
  in.optional("kind", m.kind);
  in.optional("last_used", m.last_used);
  in.optional("requests", m.requests);
  in.optional("failures", m.failures);
}

void write(nlohmann::json& out, const Anomaly& m) {
  out["time"] = m.time;
  out["kind"] = m.kind;
  out["detail"] = m.detail;
}
void read(Reader& in, Anomaly& m) {
  in.optional("time", m.time);
  in.required("kind", m.kind);
  in.optional("detail", m.detail);
}

void write(nlohmann::json& out, const AgentLock& m) { out["passphrase"] = m.passphrase; }
void read(Reader& in, AgentLock& m) { in.required("passphrase", m.passphrase); }
void write(nlohmann::json& out, const AgentUnlock& m) { out["passphrase"] = m.passphrase; }
void read(Reader& in, AgentUnlock& m) { in.required("passphrase", m.passphrase); }

void write(nlohmann::json& out, const AgentStatusReply& m) {
  out["version"] = m.version;
  out["pid"] = m.pid;
  out["uptime_seconds"] = m.uptime_seconds;
  out["socket"] = m.socket;
  out["store"] = m.store;
  put(out, "store_detail", m.store_detail);
  out["home"] = m.home;
  put(out, "launch", m.launch);
  put(out, "unit", m.unit);
  out["profiles"] = m.profiles;
  out["connections"] = m.connections;
  out["locked"] = m.locked;
  if (m.lifetime_seconds != 0) out["lifetime_seconds"] = m.lifetime_seconds;
  out["requests"] = m.requests;
  write_list(out, "usage", m.usage);
  write_list(out, "anomalies", m.anomalies);
}
void read(Reader& in, AgentStatusReply& m) {
  in.optional("version", m.version);
  in.optional("pid", m.pid);
  in.optional("uptime_seconds", m.uptime_seconds);
  in.optional("socket", m.socket);
  in.optional("store", m.store);
  in.optional("store_detail", m.store_detail);
  in.optional("home", m.home);
  in.optional("launch", m.launch);
  in.optional("unit", m.unit);
  in.optional("profiles", m.profiles);
  in.optional("connections", m.connections);
  in.optional("locked", m.locked);
  in.optional("lifetime_seconds", m.lifetime_seconds);
  in.optional("requests", m.requests);
  in.optional_objects("usage", [&](Reader& r) { read(r, m.usage.emplace_back()); });
  in.optional_objects("anomalies", [&](Reader& r) { read(r, m.anomalies.emplace_back()); });
}

void write(nlohmann::json& out, const ProfileAdd& m) {
  out["name"] = m.name;
  put_enum(out, "kind", m.kind);
  put(out, "issuer", m.issuer);
  put(out, "client_id", m.client_id);
  put(out, "api_endpoint", m.api_endpoint);
  put(out, "scopes", m.scopes);
  if (m.lifetime_seconds != 0) out["lifetime_seconds"] = m.lifetime_seconds;
}
void read(Reader& in, ProfileAdd& m) {
  in.required("name", m.name);
  in.optional("issuer", m.issuer);
  in.optional("client_id", m.client_id);
  m.kind = m.issuer.empty() ? ProfileKind::fluxloop : ProfileKind::oidc;
  in.optional_enum("kind", m.kind);
  in.optional("api_endpoint", m.api_endpoint);
  in.optional("scopes", m.scopes);
  in.optional("lifetime_seconds", m.lifetime_seconds);
}

void write(nlohmann::json& out, const ProfileInfo& m) {
  out["name"] = m.name;
  put_enum(out, "kind", m.kind);
  put(out, "issuer", m.issuer);
  put(out, "client_id", m.client_id);
  put(out, "api_endpoint", m.api_endpoint);
  put(out, "scopes", m.scopes);
  if (m.lifetime_seconds != 0) out["lifetime_seconds"] = m.lifetime_seconds;
  out["default"] = m.is_default;
  out["has_credentials"] = m.has_credentials;
}
void read(Reader& in, ProfileInfo& m) {
  in.required("name", m.name);
  in.optional_enum("kind", m.kind);
  in.optional("issuer", m.issuer);
  in.optional("client_id", m.client_id);
  in.optional("api_endpoint", m.api_endpoint);
  in.optional("scopes", m.scopes);
  in.optional("lifetime_seconds", m.lifetime_seconds);
  in.optional("default", m.is_default);
  in.optional("has_credentials", m.has_credentials);
}

void write(nlohmann::json& out, const ProfileListReply& m) {
  put(out, "default_profile", m.default_profile);
  write_list(out, "profiles", m.profiles);
}
void read(Reader& in, ProfileListReply& m) {
  in.optional("default_profile", m.default_profile);
  in.optional_objects("profiles", [&](Reader& r) { read(r, m.profiles.emplace_back()); });
}

void write(nlohmann::json& out, const ProfileRemove& m) { out["name"] = m.name; }
void read(Reader& in, ProfileRemove& m) { in.required("name", m.name); }

void write(nlohmann::json& out, const ConfigSet& m) {
  out["key"] = m.key;
  out["value"] = m.value;
}
void read(Reader& in, ConfigSet& m) {
  in.required("key", m.key);
  in.required("value", m.value);
}

void write(nlohmann::json& out, const ImportReply& m) { out["profiles"] = m.profiles; }
void read(Reader& in, ImportReply& m) { in.optional("profiles", m.profiles); }

void write(nlohmann::json& out, const AuthImport& m) {
  out["path"] = m.path;
  put(out, "profile", m.profile);
}
void read(Reader& in, AuthImport& m) {
  in.required("path", m.path);
  in.optional("profile", m.profile);
}

void write(nlohmann::json& out, const TokenReply& m) {
  out["profile"] = m.profile;
  out["token"] = m.token;
  put(out, "expires_at", m.expires_at);
}
void read(Reader& in, TokenReply& m) {
  in.optional("profile", m.profile);
  in.required("token", m.token);
  in.optional("expires_at", m.expires_at);
}

void write(nlohmann::json& out, const GetToken& m) {
  put(out, "profile", m.profile);
  if (m.min_valid != 0) out["min_valid"] = m.min_valid;
}
void read(Reader& in, GetToken& m) {
  in.optional("profile", m.profile);
  in.optional("min_valid", m.min_valid);
}

void write(nlohmann::json& out, const ProfileStatus& m) {
  out["name"] = m.name;
  put_enum(out, "kind", m.kind);
  put_enum(out, "state", m.state);
  put(out, "credential", m.credential);
  put(out, "api_key", m.api_key);
  put(out, "forget_at", m.forget_at);
  put(out, "last_used", m.last_used);
  out["requests"] = m.requests;
  out["failures"] = m.failures;
  put(out, "user_email", m.user_email);
  put(out, "user_id", m.user_id);
  put(out, "access_token", m.access_token);
  put(out, "refresh_token", m.refresh_token);
  put(out, "expires_at", m.expires_at);
  if (!m.expires_at.empty()) out["expires_in"] = m.expires_in;
  put(out, "api_endpoint", m.api_endpoint);
  put(out, "issuer", m.issuer);
  put(out, "last_error", m.last_error);
}
void read(Reader& in, ProfileStatus& m) {
  in.required("name", m.name);
  in.optional_enum("kind", m.kind);
  in.optional_enum("state", m.state);
  in.optional("credential", m.credential);
  in.optional("api_key", m.api_key);
  in.optional("forget_at", m.forget_at);
  in.optional("last_used", m.last_used);
  in.optional("requests", m.requests);
  in.optional("failures", m.failures);
  in.optional("user_email", m.user_email);
  in.optional("user_id", m.user_id);
  in.optional("access_token", m.access_token);
  in.optional("refresh_token", m.refresh_token);
  in.optional("expires_at", m.expires_at);
  in.optional("expires_in", m.expires_in);
  in.optional("api_endpoint", m.api_endpoint);
  in.optional("issuer", m.issuer);
  in.optional("last_error", m.last_error);
}

void write(nlohmann::json& out, const AuthStatusReply& m) {
  put(out, "default_profile", m.default_profile);
  put(out, "store", m.store);
  put(out, "store_problem", m.store_problem);
  write_list(out, "profiles", m.profiles);
}
void read(Reader& in, AuthStatusReply& m) {
  in.optional("default_profile", m.default_profile);
  in.optional("store", m.store);
  in.optional("store_problem", m.store_problem);
  in.optional_objects("profiles", [&](Reader& r) { read(r, m.profiles.emplace_back()); });
}

void write(nlohmann::json& out, const AuthStatus& m) { put(out, "profile", m.profile); }
void read(Reader& in, AuthStatus& m) { in.optional("profile", m.profile); }

void write(nlohmann::json& out, const RefreshReply& m) {
  out["profile"] = m.profile;
  put(out, "expires_at", m.expires_at);
}
void read(Reader& in, RefreshReply& m) {
  in.optional("profile", m.profile);
  in.optional("expires_at", m.expires_at);
}

void write(nlohmann::json& out, const AuthRefresh& m) { put(out, "profile", m.profile); }
void read(Reader& in, AuthRefresh& m) { in.optional("profile", m.profile); }

void write(nlohmann::json& out, const LogoutReply& m) {
  out["profile"] = m.profile;
  out["revoked"] = m.revoked;
  put(out, "warning", m.warning);
}
void read(Reader& in, LogoutReply& m) {
  in.optional("profile", m.profile);
  in.optional("revoked", m.revoked);
  in.optional("warning", m.warning);
}

void write(nlohmann::json& out, const AuthLogout& m) { put(out, "profile", m.profile); }
void read(Reader& in, AuthLogout& m) { in.optional("profile", m.profile); }

void write(nlohmann::json& out, const LoginStartReply& m) {
  out["login_id"] = m.login_id;
  out["profile"] = m.profile;
  put_enum(out, "kind", m.kind);
  put_enum(out, "method", m.method);
  put(out, "url", m.url);
  put(out, "verification_uri", m.verification_uri);
  put(out, "verification_uri_complete", m.verification_uri_complete);
  put(out, "user_code", m.user_code);
  put(out, "qr_code", m.qr_code);
  out["expires_in"] = m.expires_in;
}
void read(Reader& in, LoginStartReply& m) {
  in.required("login_id", m.login_id);
  in.optional("profile", m.profile);
  in.optional_enum("kind", m.kind);
  in.optional_enum("method", m.method);
  in.optional("url", m.url);
  in.optional("verification_uri", m.verification_uri);
  in.optional("verification_uri_complete", m.verification_uri_complete);
  in.optional("user_code", m.user_code);
  in.optional("qr_code", m.qr_code);
  in.optional("expires_in", m.expires_in);
}

void write(nlohmann::json& out, const LoginStart& m) {
  put(out, "profile", m.profile);
  if (m.device) out["device"] = true;
  put(out, "api_endpoint", m.api_endpoint);
}
void read(Reader& in, LoginStart& m) {
  in.optional("profile", m.profile);
  in.optional("device", m.device);
  in.optional("api_endpoint", m.api_endpoint);
}

void write(nlohmann::json& out, const LoginWaitReply& m) {
  out["profile"] = m.profile;
  put(out, "user_email", m.user_email);
  put(out, "user_id", m.user_id);
  put(out, "expires_at", m.expires_at);
}
void read(Reader& in, LoginWaitReply& m) {
  in.optional("profile", m.profile);
  in.optional("user_email", m.user_email);
  in.optional("user_id", m.user_id);
  in.optional("expires_at", m.expires_at);
}

void write(nlohmann::json& out, const LoginWait& m) { out["login_id"] = m.login_id; }
void read(Reader& in, LoginWait& m) { in.required("login_id", m.login_id); }

}  // namespace proto
