#include "client/render.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "client/duration.hpp"
#include "proto/text.hpp"

namespace client {
namespace {

using Row = std::vector<std::string>;

// Display width in code points (UTF-8 continuation bytes take no column): masked secrets carry "…".
std::size_t columns(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string render_table(const std::vector<Row>& given, std::string_view indent) {
  // Cells hold what servers named things (key names, e-mails): no control character reaches the terminal.
  std::vector<Row> rows = given;
  for (auto& row : rows) {
    for (auto& cell : row) cell = proto::printable(cell);
  }
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], columns(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - columns(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

namespace {

void add_if(std::vector<Row>& rows, const char* key, const std::string& value) {
  if (!value.empty()) rows.push_back({key, value});
}

std::string expiry(const proto::ProfileStatus& p) {
  if (p.expires_at.empty()) return {};
  if (p.expires_in > 0) return p.expires_at + " (in " + format_duration(p.expires_in) + ")";
  return p.expires_at + " (expired " + format_duration(p.expires_in) + " ago)";
}

// "12 (1 failed)", or "" for a credential never used since the agent started.
std::string use_count(std::int64_t requests, std::int64_t failures) {
  if (requests == 0 && failures == 0) return {};
  return std::to_string(requests) + (failures > 0 ? " (" + std::to_string(failures) + " failed)" : "");
}

}  // namespace

std::string render_auth_status(const proto::AuthStatusReply& reply) {
  std::string out;
  for (const auto& p : reply.profiles) {
    const bool is_default = p.name == reply.default_profile;
    out += p.name + (is_default ? " (default)" : "") + "\n";
    std::vector<Row> rows;
    // "login pending", "login required": the wire's words, spaced for people.
    std::string state(proto::to_string(p.state));
    std::replace(state.begin(), state.end(), '_', ' ');
    add_if(rows, "kind", std::string(proto::to_string(p.kind)));
    add_if(rows, "state", state);
    if (p.credential) {
      add_if(rows, "credential", *p.credential == proto::CredentialType::api_key ? std::string("API key")
                                                                                 : std::string(proto::to_string(*p.credential)));
    }
    add_if(rows, "api key", p.api_key);
    add_if(rows, "user", p.user_email);
    add_if(rows, "user id", p.user_id);
    add_if(rows, "access token", p.access_token);
    add_if(rows, "refresh token", p.refresh_token);
    add_if(rows, "expires", expiry(p));
    add_if(rows, "api endpoint", p.api_endpoint);
    add_if(rows, "issuer", p.issuer);
    add_if(rows, "forget at", p.forget_at);
    add_if(rows, "last used", p.last_used);
    add_if(rows, "requests", use_count(p.requests, p.failures));
    add_if(rows, "last error", p.last_error);
    out += render_table(rows, "  ");
    out += "\n";
  }
  out += "store: " + std::string(proto::to_string(reply.store)) + "\n";
  // A corrupt file or a locked keyring: the one line that explains why profiles look empty.
  if (!reply.store_problem.empty()) out += "store problem: " + reply.store_problem + "\n";
  return out;
}

std::string render_profile_list(const proto::ProfileListReply& reply) {
  std::vector<Row> rows{{"NAME", "KIND", "DEFAULT", "CREDENTIALS", "API ENDPOINT", "ISSUER"}};
  for (const auto& p : reply.profiles) {
    const bool is_default = p.is_default || p.name == reply.default_profile;
    rows.push_back({p.name, std::string(proto::to_string(p.kind)), is_default ? "*" : "", p.has_credentials ? "yes" : "no",
                    p.api_endpoint.empty() ? "-" : p.api_endpoint, p.issuer.empty() ? "-" : p.issuer});
  }
  return render_table(rows);
}

namespace {

// "systemd socket activation, unit fluxloop-agentd.service": how the agent came to run.
std::string describe_launch(const proto::AgentStatusReply& reply) {
  std::string how = !reply.launch                                         ? ""
                    : *reply.launch == proto::LaunchMode::systemd_socket ? "systemd socket activation"
                                                                         : "fluxloop-agentd --" + std::string(proto::to_string(*reply.launch));
  if (!reply.unit.empty()) how += (how.empty() ? "unit " : ", unit ") + reply.unit;
  return how;
}

}  // namespace

std::string render_agent_status(const proto::AgentStatusReply& reply) {
  std::vector<Row> rows;
  rows.push_back({"agent", "running, pid " + std::to_string(reply.pid) + ", up " + format_duration(reply.uptime_seconds)});
  add_if(rows, "version", reply.version);
  add_if(rows, "started by", describe_launch(reply));
  add_if(rows, "socket", reply.socket);
  add_if(rows, "home", reply.home);
  add_if(rows, "store", std::string(proto::to_string(reply.store)) + (reply.store_detail.empty() ? "" : " (" + reply.store_detail + ")"));
  rows.push_back({"profiles", std::to_string(reply.profiles)});
  rows.push_back({"connections", std::to_string(reply.connections)});
  rows.push_back({"locked", reply.locked ? "yes (no secret is served until `fluxloop agent unlock`)" : "no"});
  if (reply.lifetime_seconds > 0) rows.push_back({"lifetime", format_duration(reply.lifetime_seconds)});
  rows.push_back({"requests", std::to_string(reply.requests)});
  std::string out = render_table(rows);
  if (!reply.usage.empty()) {
    std::vector<Row> usage{{"CREDENTIAL", "KIND", "REQUESTS", "FAILED", "LAST USED"}};
    for (const auto& u : reply.usage) {
      usage.push_back({u.name.empty() ? "-" : u.name, u.kind == proto::UsageKind::api_key ? "API key" : std::string(proto::to_string(u.kind)), std::to_string(u.requests),
                       std::to_string(u.failures), u.last_used.empty() ? "-" : u.last_used});
    }
    out += "\nusage since start:\n" + render_table(usage, "  ");
  }
  if (!reply.anomalies.empty()) {
    // Most recent last, as the agent keeps them; each was also logged as a warning.
    std::vector<Row> anomalies;
    for (const auto& a : reply.anomalies) anomalies.push_back({a.time, std::string(proto::to_string(a.kind)), a.detail});
    out += "\nanomalies:\n" + render_table(anomalies, "  ");
  }
  return out;
}

}  // namespace client
