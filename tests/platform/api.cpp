// The FluxLoop API under /v1: /v1/me, API key management, and two demo resources (/v1/echo,
// /v1/projects) for `fluxloop api`. Credentials: OAuth access tokens or API keys, both as Bearer.
#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr std::string_view kUserKeyPrefix = "flx_api_";
constexpr std::string_view kServiceKeyPrefix = "flx_sa_";
constexpr std::size_t kMaxName = 100;
constexpr std::size_t kMaxProjects = 1000;

bool is_read(const std::string& method) { return method == "GET" || method == "HEAD"; }

// API scopes: read = GET only, write = everything but GET, read-write = both, admin = all plus
// key management. OAuth user tokens act as the user: read-write plus key management.
bool allows(const std::string& scope, const std::string& method) {
  if (scope == "read-write" || scope == "admin") return true;
  return is_read(method) ? scope == "read" : scope == "write";
}

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

HttpResponse method_not_allowed(const std::string& allow) {
  HttpResponse r = error_response(405, "invalid_request", "method not allowed here; allowed: " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

HttpResponse no_content() { return HttpResponse{204, "", {{"Cache-Control", "no-store"}}, ""}; }
}  // namespace

std::variant<Platform::Caller, HttpResponse> Platform::authenticate(const HttpRequest& req) {
  auto token = bearer_token(req);
  if (!token) return bearer_error(401, "invalid_token", "an Authorization: Bearer access token or API key is required");
  if (starts_with(*token, kUserKeyPrefix) || starts_with(*token, kServiceKeyPrefix)) {
    auto id = key_by_hash_.find(sha256(*token));
    if (id == key_by_hash_.end()) return bearer_error(401, "invalid_token", "unknown API key");
    ApiKey& key = keys_.at(id->second);
    if (key.revoked) {
      ++key.failed_attempts;
      return bearer_error(401, "invalid_token", "the API key was revoked");
    }
    return Caller{true, key.created_by, key.scope, key.id, false};
  }
  auto checked = check_access_token(*token);
  if (auto* err = std::get_if<HttpResponse>(&checked)) return *err;
  const Grant& grant = grants_.at(std::get<std::string>(checked));
  return Caller{false, grant.email, "read-write", {}, grant.client_id == kCliConnectClient};
}

void Platform::note_use(const Caller& caller) {
  if (!caller.is_api_key) return;
  ApiKey& key = keys_.at(caller.key_id);
  ++key.usage_count;
  key.last_used = std::chrono::system_clock::now();
}

HttpResponse Platform::forbidden(const Caller& caller, std::string_view needed) {
  ++stats_.api_forbidden;
  if (caller.is_api_key) ++keys_.at(caller.key_id).failed_attempts;
  return bearer_error(403, "insufficient_scope",
                      "this request needs the '" + std::string(needed) + "' scope; the credential has '" +
                          caller.scope + "'",
                      needed);
}

HttpResponse Platform::api(const HttpRequest& req) {
  ++stats_.api_requests;
  auto who = authenticate(req);
  if (auto* err = std::get_if<HttpResponse>(&who)) {
    ++stats_.api_unauthorized;
    return *err;
  }
  const Caller& caller = std::get<Caller>(who);
  const std::string path = req.path();

  if (path == "/v1/api-keys" || starts_with(path, "/v1/api-keys/")) return api_keys(req, caller, path.substr(std::string_view("/v1/api-keys").size()));
  if (path == "/v1/projects" || starts_with(path, "/v1/projects/"))
    return projects(req, caller, path.substr(std::string_view("/v1/projects").size()));
  if (path == "/v1/me" || path == "/v1/echo") {
    if (path == "/v1/me" && !is_read(req.method)) return method_not_allowed("GET");
    if (!allows(caller.scope, req.method)) return forbidden(caller, is_read(req.method) ? "read" : "write");
    note_use(caller);
    if (path == "/v1/me")
      return json_response(200, {{"email", caller.email},
                                 {"scopes", {caller.scope}},
                                 {"credential", caller.is_api_key ? "api_key" : "oauth"}});
    nlohmann::json body = req.body.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) body = req.body;
    return json_response(200, {{"method", req.method}, {"path", path}, {"query", req.query()}, {"body", body},
                               {"credential", caller.is_api_key ? "api_key" : "oauth"}, {"scope", caller.scope}});
  }
  return error_response(404, "not_found", "no such API endpoint: " + path);
}

nlohmann::json Platform::key_record(const ApiKey& key) const {
  return {{"id", key.id},
          {"name", key.name},
          {"scope", key.scope},
          {"type", key.type},
          {"prefix", key.prefix},
          {"last4", key.last4},
          {"created_by", key.created_by},
          {"created_at", iso8601(key.created)},
          {"last_used_at", key.last_used ? nlohmann::json(iso8601(*key.last_used)) : nlohmann::json(nullptr)},
          {"usage_count", key.usage_count},
          {"failed_attempts", key.failed_attempts}};
}

std::pair<std::string, std::string> Platform::mint_key(const std::string& name, const std::string& scope,
                                                       const std::string& type, const std::string& created_by,
                                                       const std::string& project_id, bool uuid_id) {
  const std::string key_value = std::string(type == "user" ? kUserKeyPrefix : kServiceKeyPrefix) + random_hex(16);
  ApiKey key;
  key.id = uuid_id ? random_uuid() : "key_" + random_hex(8);
  key.name = name;
  key.scope = scope;
  key.type = type;
  // Only the hash is kept, as a real platform would: lookups hash the presented value.
  key.key_hash = sha256(key_value);
  key.prefix = key_value.substr(0, key_value.find('_', 4) + 1 + 4);
  key.last4 = key_value.substr(key_value.size() - 4);
  key.created_by = created_by;
  key.project_id = project_id;
  key.created = std::chrono::system_clock::now();
  key_by_hash_[key.key_hash] = key.id;
  keys_[key.id] = key;
  return {key.id, key_value};
}

HttpResponse Platform::api_keys(const HttpRequest& req, const Caller& caller, const std::string& rest) {
  // Managing keys is an administrative act: an OAuth user token or an admin-scoped key.
  if (caller.is_api_key && caller.scope != "admin") return forbidden(caller, "admin");
  auto json_body = [&]() { return nlohmann::json::parse(req.body, nullptr, false); };

  if (rest.empty() || rest == "/") {
    if (req.method == "GET") {
      note_use(caller);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, key] : keys_)
        if (!key.revoked && key.project_id.empty()) list.push_back(key_record(key));
      return json_response(200, {{"api_keys", list}});
    }
    if (req.method != "POST") return method_not_allowed("GET, POST");
    nlohmann::json in = json_body();
    if (!in.is_object()) return error_response(400, "invalid_request", "the body must be a JSON object");
    std::string name = in.value("name", std::string{}), scope = in.value("scope", std::string("read-write")),
                type = in.value("type", std::string("user"));
    if (name.empty() || name.size() > kMaxName)
      return error_response(400, "invalid_request", "name is required (1-100 characters)");
    if (scope != "read" && scope != "write" && scope != "read-write" && scope != "admin")
      return error_response(400, "invalid_request", "scope must be read, write, read-write or admin");
    if (type != "user" && type != "service-account")
      return error_response(400, "invalid_request", "type must be user or service-account");
    note_use(caller);
    auto [id, key_value] = mint_key(name, scope, type, caller.email, {}, config_.v1_key_ids == V1KeyIds::uuid);
    nlohmann::json out = key_record(keys_.at(id));
    out["key"] = key_value;  // the only time the value is ever shown
    return json_response(201, out);
  }

  if (rest == "/lookup") {
    if (req.method != "POST") return method_not_allowed("POST");
    nlohmann::json in = json_body();
    if (!in.is_object() || !in.contains("key") || !in["key"].is_string())
      return error_response(400, "invalid_request", "the body must be {\"key\": \"flx_...\"}");
    note_use(caller);
    auto id = key_by_hash_.find(sha256(in["key"].get<std::string>()));
    if (id == key_by_hash_.end() || keys_.at(id->second).revoked)
      return error_response(404, "not_found", "no active API key has this value");
    return json_response(200, key_record(keys_.at(id->second)));
  }

  const std::string id = rest.substr(1);
  auto it = keys_.find(id);
  if (req.method != "GET" && req.method != "DELETE") return method_not_allowed("GET, DELETE");
  if (it == keys_.end() || it->second.revoked) return error_response(404, "not_found", "no active API key has this id");
  note_use(caller);
  if (req.method == "GET") return json_response(200, key_record(it->second));
  it->second.revoked = true;
  return no_content();
}

HttpResponse Platform::projects(const HttpRequest& req, const Caller& caller, const std::string& rest) {
  if (!allows(caller.scope, req.method)) return forbidden(caller, is_read(req.method) ? "read" : "write");
  if (rest.empty() || rest == "/") {
    if (req.method == "GET") {
      note_use(caller);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, p] : projects_) list.push_back(p);
      return json_response(200, {{"projects", list}});
    }
    if (req.method != "POST") return method_not_allowed("GET, POST");
    nlohmann::json in = nlohmann::json::parse(req.body, nullptr, false);
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string() || in["name"].get<std::string>().empty())
      return error_response(400, "invalid_request", "the body must be {\"name\": \"...\"}");
    if (projects_.size() >= kMaxProjects) return error_response(409, "conflict", "too many projects");
    note_use(caller);
    const std::string id = "prj_" + random_hex(6);
    nlohmann::json p = {{"id", id},
                        {"name", in["name"].get<std::string>().substr(0, kMaxName)},
                        {"created_at", iso8601(std::chrono::system_clock::now())}};
    projects_[id] = p;
    return json_response(201, p);
  }
  auto it = projects_.find(rest.substr(1));
  if (req.method != "GET" && req.method != "DELETE") return method_not_allowed("GET, DELETE");
  if (it == projects_.end()) return error_response(404, "not_found", "no such project");
  note_use(caller);
  if (req.method == "GET") return json_response(200, it->second);
  projects_.erase(it);
  return no_content();
}

}  // namespace platform
