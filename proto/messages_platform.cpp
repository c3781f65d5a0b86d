// JSON conversion of the platform messages (API keys, api_request) and of redact.
#include <nlohmann/json.hpp>

#include "proto/messages_platform.hpp"

namespace proto {
namespace {

void put(nlohmann::json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

}  // namespace

void write(nlohmann::json& out, const Target& m) {
  put(out, "profile", m.profile);
  put(out, "bearer", m.bearer);
  put(out, "api_endpoint", m.api_endpoint);
  put(out, "project_id", m.project_id);
}
void read(Reader& in, Target& m) {
  in.optional("profile", m.profile);
  in.optional("bearer", m.bearer);
  in.optional("api_endpoint", m.api_endpoint);
  in.optional("project_id", m.project_id);
}

void write(nlohmann::json& out, const ApiKeyRecord& m) {
  out["id"] = m.id;
  out["name"] = m.name;
  out["scope"] = m.scope;
  out["type"] = m.type;
  put(out, "prefix", m.prefix);
  put(out, "last4", m.last4);
  put(out, "created_at", m.created_at);
  out["last_used_at"] = m.last_used_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.last_used_at);
  out["usage_count"] = m.usage_count;
  out["failed_attempts"] = m.failed_attempts;
  if (!m.profiles.empty()) out["profiles"] = m.profiles;
}
void read(Reader& in, ApiKeyRecord& m) {
  in.required("id", m.id);
  in.optional("name", m.name);
  in.optional("scope", m.scope);
  in.optional("type", m.type);
  in.optional("prefix", m.prefix);
  in.optional("last4", m.last4);
  in.optional("created_at", m.created_at);
  in.optional("last_used_at", m.last_used_at);  // null reads as absent
  in.optional("usage_count", m.usage_count);
  in.optional("failed_attempts", m.failed_attempts);
  in.optional("profiles", m.profiles);
}

void write(nlohmann::json& out, const ApiKeyCreateReply& m) {
  write(out["record"] = nlohmann::json::object(), m.record);
  put(out, "key", m.key);
  put(out, "stored_profile", m.stored_profile);
}
void read(Reader& in, ApiKeyCreateReply& m) {
  in.optional_object("record", [&](Reader& r) { read(r, m.record); });
  in.optional("key", m.key);
  in.optional("stored_profile", m.stored_profile);
}

void write(nlohmann::json& out, const ApiKeyCreate& m) {
  write(out, m.target);
  out["name"] = m.name;
  put(out, "scope", m.scope);
  put(out, "type", m.type);
  put(out, "store_profile", m.store_profile);
}
void read(Reader& in, ApiKeyCreate& m) {
  read(in, m.target);
  in.required("name", m.name);
  in.optional("scope", m.scope);
  in.optional("type", m.type);
  in.optional("store_profile", m.store_profile);
}

void write(nlohmann::json& out, const ApiKeyListReply& m) {
  auto& list = out["keys"] = nlohmann::json::array();
  for (const auto& key : m.keys) write(list.emplace_back(nlohmann::json::object()), key);
}
void read(Reader& in, ApiKeyListReply& m) {
  in.optional_objects("keys", [&](Reader& r) { read(r, m.keys.emplace_back()); });
}

void write(nlohmann::json& out, const ApiKeyList& m) { write(out, m.target); }
void read(Reader& in, ApiKeyList& m) { read(in, m.target); }

void write(nlohmann::json& out, const ApiKeyReply& m) { write(out["record"] = nlohmann::json::object(), m.record); }
void read(Reader& in, ApiKeyReply& m) { in.optional_object("record", [&](Reader& r) { read(r, m.record); }); }

void write(nlohmann::json& out, const ApiKeyInfo& m) {
  write(out, m.target);
  out["key_or_id"] = m.key_or_id;
}
void read(Reader& in, ApiKeyInfo& m) {
  read(in, m.target);
  in.required("key_or_id", m.key_or_id);
}

void write(nlohmann::json& out, const ApiKeyRevoke& m) {
  write(out, m.target);
  out["key_or_id"] = m.key_or_id;
}
void read(Reader& in, ApiKeyRevoke& m) {
  read(in, m.target);
  in.required("key_or_id", m.key_or_id);
}

void write(nlohmann::json& out, const ApiKeyRotateReply& m) {
  write(out["record"] = nlohmann::json::object(), m.record);
  put(out, "key", m.key);
  out["old_id"] = m.old_id;
  put(out, "revoke_at", m.revoke_at);
  if (!m.profiles.empty()) out["profiles"] = m.profiles;
}
void read(Reader& in, ApiKeyRotateReply& m) {
  in.optional_object("record", [&](Reader& r) { read(r, m.record); });
  in.optional("key", m.key);
  in.optional("old_id", m.old_id);
  in.optional("revoke_at", m.revoke_at);
  in.optional("profiles", m.profiles);
}

void write(nlohmann::json& out, const ApiKeyRotate& m) {
  write(out, m.target);
  out["name_or_id"] = m.name_or_id;
  if (m.grace_seconds != 0) out["grace_seconds"] = m.grace_seconds;
}
void read(Reader& in, ApiKeyRotate& m) {
  read(in, m.target);
  in.required("name_or_id", m.name_or_id);
  in.optional("grace_seconds", m.grace_seconds);
}

void write(nlohmann::json& out, const ApiReply& m) {
  out["status"] = m.status;
  put(out, "content_type", m.content_type);
  out["body"] = m.body;
}
void read(Reader& in, ApiReply& m) {
  in.optional("status", m.status);
  in.optional("content_type", m.content_type);
  in.optional("body", m.body);
}

void write(nlohmann::json& out, const ApiRequest& m) {
  write(out, m.target);
  out["method"] = m.method;
  out["path"] = m.path;
  put(out, "body", m.body);
}
void read(Reader& in, ApiRequest& m) {
  read(in, m.target);
  in.required("method", m.method);
  in.required("path", m.path);
  in.optional("body", m.body);
}

void write(nlohmann::json& out, const RedactReply& m) {
  out["data"] = m.data;
  out["consumed"] = m.consumed;
}
void read(Reader& in, RedactReply& m) {
  in.required("data", m.data);
  in.optional("consumed", m.consumed);
}

void write(nlohmann::json& out, const Redact& m) {
  out["data"] = m.data;
  if (m.final) out["final"] = true;
}
void read(Reader& in, Redact& m) {
  in.required("data", m.data);
  in.optional("final", m.final);
}

}  // namespace proto
