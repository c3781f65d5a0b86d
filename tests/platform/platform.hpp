// The FluxLoop platform emulator's logic: OAuth 2.0 / OIDC authorization server, the FluxLoop API
// and the /_emulator/ test knobs, as a state machine from HttpRequest to Outcome. Single-threaded
// by design (the front end runs one io_context on one thread); no Beast or Asio here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/platform/config.hpp"
#include "tests/platform/http_types.hpp"

namespace platform {

using SteadyTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

// The client_id of the grants that CLI-connect logins create (they share the OAuth token tables).
inline constexpr std::string_view kCliConnectClient = "fluxloop-cli-connect";

// Counters served by GET /_emulator/stats.
struct Stats {
  std::uint64_t requests = 0, connections = 0;
  std::map<std::string, std::uint64_t> token_requests;  // by grant_type
  std::map<std::string, std::uint64_t> token_errors;    // by OAuth error code
  std::uint64_t refreshes = 0, refreshes_succeeded = 0, refresh_token_reuse = 0;
  std::uint64_t authorize_requests = 0, codes_issued = 0, device_authorizations = 0, device_polls = 0,
                device_slow_downs = 0;
  std::uint64_t revocations = 0, userinfo_requests = 0;
  std::uint64_t api_requests = 0, api_unauthorized = 0, api_forbidden = 0, expired_token_uses = 0;
  std::uint64_t access_tokens_issued = 0, refresh_tokens_issued = 0, faults_injected = 0;
  // The platform's own surface (/api).
  std::uint64_t cli_connect_starts = 0, cli_connect_polls = 0, too_fast_polls = 0, cli_connect_refreshes = 0,
                cli_connect_refreshes_succeeded = 0, cli_connect_refresh_token_reuse = 0;
  std::uint64_t expired_token_used = 0, platform_api_requests = 0;
};

class Platform {
 public:
  explicit Platform(Config config);

  // Handles one request, applying any pending injected fault first.
  Outcome handle(const HttpRequest& req);
  // Handles one request ignoring injected faults (the second half of a "delay" fault).
  HttpResponse handle_without_faults(const HttpRequest& req);
  // The front end reports each accepted connection (for stats).
  void note_connection() { ++stats_.connections; }
  const Config& config() const { return config_; }

 private:
  struct Grant {
    std::string client_id, scope, email, nonce;
    std::string refresh_token;  // the current one
    SystemTime auth_time;
    bool revoked = false;
  };
  struct AccessToken {
    std::string grant_id, scope;
    SteadyTime expires;
    bool revoked = false;
  };
  struct RefreshToken {
    std::string grant_id;
    std::optional<SteadyTime> expires;
    bool rotated = false;  // used once already (rotation on): presenting it again is reuse
  };
  struct AuthCode {
    std::string client_id, redirect_uri, challenge, scope, nonce, email, grant_id;
    SteadyTime expires;
    bool used = false;
  };
  enum class DeviceStatus { pending, approved, denied, consumed };
  struct DeviceCode {
    std::string client_id, scope, user_code, email;
    SteadyTime issued, expires;
    std::optional<SteadyTime> last_poll;
    std::chrono::seconds interval{5};
    int polls = 0;
    DeviceStatus status = DeviceStatus::pending;
  };
  struct CliLogin {  // one CLI-connect login (the platform's device flow), by device_code
    std::string user_code, email;
    SteadyTime issued, expires;
    std::optional<SteadyTime> last_poll;
    std::chrono::seconds interval{1};
    int polls = 0;
    std::uint64_t too_fast_polls = 0;
    DeviceStatus status = DeviceStatus::pending;
  };
  struct ApiKey {
    std::string id, name, scope, type, key_hash, prefix, last4, created_by;
    std::string project_id;  // set for keys made under /api (project-scoped); empty for /v1 keys
    SystemTime created;
    std::optional<SystemTime> last_used;
    std::uint64_t usage_count = 0, failed_attempts = 0;
    bool revoked = false;
  };
  struct Fault {
    int remaining = 0;
    std::string kind, path_prefix;
    int retry_after = -1;  // seconds; -1: no Retry-After header
    int delay_ms = 0;
  };
  // Who made an API request.
  struct Caller {
    bool is_api_key = false;
    std::string email, scope, key_id;  // scope: read | write | read-write | admin
    bool cli_connect = false;          // an access token of a CLI-connect login
  };

  HttpResponse dispatch(const HttpRequest& req);
  std::string issuer(const HttpRequest& req) const;

  // oauth.cpp
  HttpResponse discovery(const HttpRequest& req);
  HttpResponse authorize(const HttpRequest& req);
  HttpResponse token(const HttpRequest& req);
  HttpResponse token_authorization_code(const HttpRequest& req, const std::map<std::string, std::string>& form);
  HttpResponse token_refresh(const HttpRequest& req, const std::map<std::string, std::string>& form);
  HttpResponse token_device(const HttpRequest& req, const std::map<std::string, std::string>& form);
  HttpResponse device_authorization(const HttpRequest& req);
  HttpResponse device_page(const HttpRequest& req);
  HttpResponse revoke(const HttpRequest& req);
  HttpResponse userinfo(const HttpRequest& req);
  HttpResponse token_error(std::string_view error, std::string_view description, int status = 400);
  // Creates a grant with its first refresh token; returns the grant id.
  std::string new_grant(const std::string& client_id, const std::string& scope, const std::string& email,
                        const std::string& nonce);
  // Issues a new access token for a grant and returns the token response body (RFC 6749 §5.1)
  // reporting `refresh_token`, plus an ID token when `scope` has openid.
  nlohmann::json token_body(const std::string& issuer, const std::string& grant_id, const std::string& refresh_token,
                            const std::string& scope);
  // The grant id of a valid (known, unexpired, unrevoked) access token, or a 401 invalid_token response.
  std::variant<std::string, HttpResponse> check_access_token(const std::string& token);
  std::string id_token(const std::string& issuer, const Grant& grant) const;
  std::string new_refresh_token(const std::string& grant_id);
  // Issues an access token for a grant (lifetime token_lifetime); returns its value.
  std::string new_access_token(const std::string& grant_id, const std::string& scope);
  void revoke_grant(const std::string& grant_id);

  // api.cpp
  HttpResponse api(const HttpRequest& req);
  // The caller behind "Authorization: Bearer" (access token or API key), or a 401 response.
  std::variant<Caller, HttpResponse> authenticate(const HttpRequest& req);
  // Records an allowed request made with an API key (last_used_at, usage_count).
  void note_use(const Caller& caller);
  // A 403 insufficient_scope naming `needed`; counts a failed attempt on the key.
  HttpResponse forbidden(const Caller& caller, std::string_view needed);
  HttpResponse api_keys(const HttpRequest& req, const Caller& caller, const std::string& rest);
  HttpResponse projects(const HttpRequest& req, const Caller& caller, const std::string& rest);
  nlohmann::json key_record(const ApiKey& key) const;
  // Creates an API key (only its hash is kept); returns its id and its value.
  std::pair<std::string, std::string> mint_key(const std::string& name, const std::string& scope,
                                               const std::string& type, const std::string& created_by,
                                               const std::string& project_id, bool uuid_id);

  // cli_connect.cpp: the platform's device login under /api/cli-connect/ and its human page.
  HttpResponse cli_connect(const HttpRequest& req);
  HttpResponse cli_connect_start(const HttpRequest& req);
  HttpResponse cli_connect_complete(const HttpRequest& req);
  HttpResponse cli_connect_refresh(const HttpRequest& req);
  HttpResponse cli_connect_page(const HttpRequest& req);
  // A new access token for `grant_id` as a CLI-connect credential {"access_token",...,"user_email"}.
  nlohmann::json cli_credential(const std::string& grant_id, const std::string& refresh_token);
  HttpResponse admin_cli_connect(const HttpRequest& req, const std::string& action);

  // platform_api.cpp: /api/me, /api/projects, /api/workspaces, /api/api-keys (FastAPI-style errors).
  HttpResponse platform_api(const HttpRequest& req);
  HttpResponse platform_projects(const HttpRequest& req, const Caller& caller, const std::string& rest);
  HttpResponse platform_api_keys(const HttpRequest& req, const Caller& caller, const std::string& rest);
  nlohmann::json platform_list(const nlohmann::json& items, const char* wrapper) const;
  nlohmann::json new_platform_project(const std::string& name, std::string id);
  HttpResponse admin_projects(const HttpRequest& req);

  // admin.cpp
  HttpResponse admin(const HttpRequest& req);
  HttpResponse admin_config(const HttpRequest& req);
  HttpResponse admin_faults(const HttpRequest& req);
  HttpResponse admin_device(const HttpRequest& req, DeviceStatus verdict);  // approved or denied
  nlohmann::json config_json() const;
  nlohmann::json stats_json() const;
  std::optional<Outcome> take_fault(const HttpRequest& req);
  // Stats of the /api surface, merged into stats_json().
  void platform_stats_json(nlohmann::json& out) const;
  // The pending device code whose user code matches (case and dashes ignored), or nullptr.
  DeviceCode* find_user_code(const std::string& user_code);

  Config config_;
  Stats stats_;
  std::unordered_map<std::string, Grant> grants_;             // by grant id
  std::unordered_map<std::string, AccessToken> access_;       // by token value
  std::unordered_map<std::string, RefreshToken> refresh_;     // by token value
  std::unordered_map<std::string, AuthCode> codes_;           // by code value
  std::unordered_map<std::string, DeviceCode> devices_;       // by device_code value
  std::map<std::string, ApiKey> keys_;                        // by id (ordered: stable listing)
  std::unordered_map<std::string, std::string> key_by_hash_;  // sha256(key) -> id
  std::vector<Fault> faults_;
  std::map<std::string, nlohmann::json> projects_;            // /v1/projects demo resource
  std::unordered_map<std::string, CliLogin> cli_logins_;      // by device_code
  std::map<std::string, nlohmann::json> platform_projects_;   // /api/projects, by UUID
  std::string workspace_id_;                                  // the one /api/workspaces entry
};

}  // namespace platform
