// The FluxLoop platform's own API under /api (besides CLI connect): /api/me, /api/projects,
// /api/workspaces and project-scoped /api/api-keys. FastAPI-style errors ({"detail": …}) and UUID ids,
// as the real platform answers its Python CLI (docs/platform-api.md).
#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr std::size_t kMaxName = 100;
constexpr std::size_t kMaxProjects = 1000;

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

HttpResponse method_not_allowed(const std::string& allow) {
  HttpResponse r = detail_response(405, "Method Not Allowed");
  r.headers.emplace_back("Allow", allow);
  return r;
}

HttpResponse no_content() { return HttpResponse{204, "", {{"Cache-Control", "no-store"}}, ""}; }

// The body as a JSON object, or nullopt (the caller answers 422).
std::optional<nlohmann::json> object_body(const HttpRequest& req) {
  nlohmann::json in = nlohmann::json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
  if (!in.is_object()) return std::nullopt;
  return in;
}

// A string field that is either absent or a string of 1..kMaxName characters.
bool optional_string(const nlohmann::json& in, const char* name) {
  auto it = in.find(name);
  return it == in.end() || (it->is_string() && !it->get<std::string>().empty() && it->get<std::string>().size() <= kMaxName);
}
}  // namespace

nlohmann::json Platform::platform_list(const nlohmann::json& items, const char* wrapper) const {
  if (config_.api_list_shape == ListShape::object) return {{wrapper, items}};
  return items;
}

nlohmann::json Platform::new_platform_project(const std::string& name, std::string id) {
  if (workspace_id_.empty()) workspace_id_ = random_uuid();
  if (id.empty()) id = random_uuid();
  nlohmann::json p = {{"id", id},
                      {"name", name.substr(0, kMaxName)},
                      {"status", "active"},
                      {"description", nullptr},
                      {"workspace_id", workspace_id_},
                      {"created_at", iso8601(std::chrono::system_clock::now())}};
  platform_projects_[id] = p;
  return p;
}

HttpResponse Platform::platform_api(const HttpRequest& req) {
  const std::string path = req.path();
  if (starts_with(path, "/api/cli-connect/")) return cli_connect(req);
  ++stats_.platform_api_requests;

  const auto expired_before = stats_.expired_token_uses;
  auto who = authenticate(req);
  if (auto* err = std::get_if<HttpResponse>(&who)) {
    ++stats_.api_unauthorized;
    if (stats_.expired_token_uses > expired_before) {
      ++stats_.expired_token_used;
      return detail_response(401, "Token has expired");
    }
    // FastAPI's HTTPBearer says "Not authenticated" when there is no credential at all.
    if (!bearer_token(req)) return detail_response(401, "Not authenticated");
    nlohmann::json oauth = nlohmann::json::parse(err->body, nullptr, false);
    return detail_response(401, oauth.is_object() ? oauth.value("error_description", "Invalid token") : "Invalid token");
  }
  const Caller& caller = std::get<Caller>(who);

  if (path == "/api/me") {
    if (req.method != "GET") return method_not_allowed("GET");
    note_use(caller);
    const std::string user_id = uuid_from("user:" + caller.email);
    return json_response(200, {{"id", user_id},
                               {"user_id", user_id},
                               {"email", caller.email},
                               {"name", caller.email.substr(0, caller.email.find('@'))},
                               {"credential", caller.is_api_key ? "api_key" : caller.cli_connect ? "cli_connect" : "oauth"}});
  }
  if (path == "/api/workspaces") {
    if (req.method != "GET") return method_not_allowed("GET");
    note_use(caller);
    return json_response(200, nlohmann::json::array({{{"id", workspace_id_}, {"name", "Default workspace"}}}));
  }
  if (path == "/api/projects" || starts_with(path, "/api/projects/"))
    return platform_projects(req, caller, path.substr(std::string_view("/api/projects").size()));
  if (path == "/api/api-keys" || starts_with(path, "/api/api-keys/"))
    return platform_api_keys(req, caller, path.substr(std::string_view("/api/api-keys").size()));
  return detail_response(404, "Not Found");
}

HttpResponse Platform::platform_projects(const HttpRequest& req, const Caller& caller, const std::string& rest) {
  if (rest.empty() || rest == "/") {
    if (req.method == "GET") {
      note_use(caller);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, p] : platform_projects_) list.push_back(p);
      return json_response(200, platform_list(list, "projects"));
    }
    if (req.method != "POST") return method_not_allowed("GET, POST");
    if (caller.is_api_key) return detail_response(403, "API keys cannot create projects");
    auto in = object_body(req);
    if (!in) return validation_error("body", "__root__", "the body must be a JSON object", "type_error.dict");
    if (!in->contains("name") || !optional_string(*in, "name")) return validation_error("body", "name", "field required");
    if (platform_projects_.size() >= kMaxProjects) return detail_response(409, "Too many projects");
    note_use(caller);
    nlohmann::json p = new_platform_project((*in)["name"].get<std::string>(), {});
    if (in->contains("description") && (*in)["description"].is_string()) {
      p["description"] = (*in)["description"];
      platform_projects_[p["id"].get<std::string>()] = p;
    }
    return json_response(201, p);
  }
  if (req.method != "GET") return method_not_allowed("GET");
  auto it = platform_projects_.find(rest.substr(1));
  if (it == platform_projects_.end()) return detail_response(404, "Project not found");
  note_use(caller);
  return json_response(200, it->second);
}

HttpResponse Platform::platform_api_keys(const HttpRequest& req, const Caller& caller, const std::string& rest) {
  // Keys are made by a logged-in user for a project; a key cannot mint or revoke keys.
  if (caller.is_api_key) {
    ++stats_.api_forbidden;
    ++keys_.at(caller.key_id).failed_attempts;
    return detail_response(403, "API keys cannot manage API keys; log in as a user");
  }
  auto record = [&](const ApiKey& key) {
    nlohmann::json r = key_record(key);
    r["project_id"] = key.project_id;
    r["is_active"] = !key.revoked;
    r.erase("usage_count");
    r.erase("failed_attempts");
    return r;
  };

  if (rest.empty() || rest == "/") {
    if (req.method == "GET") {
      auto query = parse_form(req.query());
      if (!query || !query->count("project_id") || query->at("project_id").empty())
        return validation_error("query", "project_id", "field required");
      const std::string project_id = query->at("project_id");
      if (!platform_projects_.count(project_id)) return detail_response(404, "Project not found");
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, key] : keys_)
        if (!key.revoked && key.project_id == project_id) list.push_back(record(key));
      return json_response(200, platform_list(list, "api_keys"));
    }
    if (req.method != "POST") return method_not_allowed("GET, POST");
    auto in = object_body(req);
    if (!in) return validation_error("body", "__root__", "the body must be a JSON object", "type_error.dict");
    for (const char* field : {"project_id", "name"})
      if (!in->contains(field) || !optional_string(*in, field)) return validation_error("body", field, "field required");
    if (!optional_string(*in, "scope") || !optional_string(*in, "type"))
      return validation_error("body", "scope", "scope and type must be strings", "type_error.str");
    const std::string project_id = (*in)["project_id"].get<std::string>(), name = (*in)["name"].get<std::string>();
    const std::string scope = in->value("scope", std::string("read-write")), type = in->value("type", std::string("user"));
    if (scope != "read" && scope != "write" && scope != "read-write" && scope != "admin")
      return validation_error("body", "scope", "scope must be read, write, read-write or admin", "value_error");
    if (type != "user" && type != "service-account")
      return validation_error("body", "type", "type must be user or service-account", "value_error");
    if (!platform_projects_.count(project_id)) return detail_response(404, "Project not found");
    auto [id, value] = mint_key(name, scope, type, caller.email, project_id, true);
    nlohmann::json rec = record(keys_.at(id));
    switch (config_.api_key_shape) {
      case KeyShape::key: rec["key"] = value; return json_response(201, rec);
      case KeyShape::api_key: rec["api_key"] = value; return json_response(201, rec);
      case KeyShape::api_key_object: rec["key"] = value; return json_response(201, {{"api_key", rec}});
      case KeyShape::api_key_data:
        rec["key"] = value;
        return json_response(201, {{"api_key_data", rec}, {"message", "API key created; it is shown only once"}});
    }
    return detail_response(500, "unknown api_key_shape");
  }
  if (req.method != "DELETE") return method_not_allowed("DELETE");
  auto it = keys_.find(rest.substr(1));
  if (it == keys_.end() || it->second.revoked || it->second.project_id.empty())
    return detail_response(404, "API key not found");
  it->second.revoked = true;
  return no_content();
}

HttpResponse Platform::admin_projects(const HttpRequest& req) {
  if (req.method == "GET") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, p] : platform_projects_) list.push_back(p);
    return json_response(200, {{"projects", list}});
  }
  if (req.method != "POST") return error_response(405, "invalid_request", "GET or POST");
  nlohmann::json in = nlohmann::json::parse(req.body, nullptr, false);
  if (!in.is_object() || !in.contains("name") || !in["name"].is_string() || in["name"].get<std::string>().empty() ||
      (in.contains("id") && (!in["id"].is_string() || in["id"].get<std::string>().empty())))
    return error_response(400, "invalid_request", "the body must be {\"name\", \"id\"?} (strings)");
  for (const auto& [name, value] : in.items())
    if (name != "name" && name != "id") return error_response(400, "invalid_request", "unknown field: " + name.substr(0, 64));
  return json_response(200, new_platform_project(in["name"].get<std::string>(), in.value("id", std::string{})));
}

}  // namespace platform
