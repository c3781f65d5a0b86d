#include "client/render.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "client/duration.hpp"

namespace client {
namespace {

using Row = std::vector<std::string>;

// Left-aligned columns separated by two spaces; trailing spaces trimmed.
std::string table(const std::vector<Row>& rows, std::string_view indent = {}) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void add_if(std::vector<Row>& rows, const char* key, const std::string& value) {
  if (!value.empty()) rows.push_back({key, value});
}

std::string expiry(const proto::ProfileStatus& p) {
  if (p.expires_at.empty()) return {};
  if (p.expires_in > 0) return p.expires_at + " (in " + format_duration(p.expires_in) + ")";
  return p.expires_at + " (expired " + format_duration(p.expires_in) + " ago)";
}

}  // namespace

std::string render_auth_status(const proto::AuthStatusReply& reply) {
  std::string out;
  for (const auto& p : reply.profiles) {
    const bool is_default = p.name == reply.default_profile;
    out += p.name + (is_default ? " (default)" : "") + "\n";
    std::vector<Row> rows;
    add_if(rows, "state", p.state);
    add_if(rows, "user", p.user_email);
    add_if(rows, "access token", p.access_token);
    add_if(rows, "refresh token", p.refresh_token);
    add_if(rows, "expires", expiry(p));
    add_if(rows, "api endpoint", p.api_endpoint);
    add_if(rows, "issuer", p.issuer);
    add_if(rows, "last error", p.last_error);
    out += table(rows, "  ");
    out += "\n";
  }
  if (!reply.store.empty()) out += "store: " + reply.store + "\n";
  // A corrupt file or a locked keyring: the one line that explains why profiles look empty.
  if (!reply.store_problem.empty()) out += "store problem: " + reply.store_problem + "\n";
  return out;
}

std::string render_profile_list(const proto::ProfileListReply& reply) {
  std::vector<Row> rows{{"NAME", "DEFAULT", "CREDENTIALS", "API ENDPOINT", "ISSUER"}};
  for (const auto& p : reply.profiles) {
    const bool is_default = p.is_default || p.name == reply.default_profile;
    rows.push_back({p.name, is_default ? "*" : "", p.has_credentials ? "yes" : "no",
                    p.api_endpoint.empty() ? "-" : p.api_endpoint, p.issuer.empty() ? "-" : p.issuer});
  }
  return table(rows);
}

std::string render_agent_status(const proto::AgentStatusReply& reply) {
  std::vector<Row> rows;
  rows.push_back({"agent", "running, pid " + std::to_string(reply.pid) + ", up " + format_duration(reply.uptime_seconds)});
  add_if(rows, "version", reply.version);
  add_if(rows, "socket", reply.socket);
  add_if(rows, "home", reply.home);
  add_if(rows, "store", reply.store + (reply.store_detail.empty() ? "" : " (" + reply.store_detail + ")"));
  rows.push_back({"profiles", std::to_string(reply.profiles)});
  rows.push_back({"connections", std::to_string(reply.connections)});
  return table(rows);
}

}  // namespace client
