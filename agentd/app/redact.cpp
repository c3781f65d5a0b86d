// Handler for redact (docs/redact.md): one chunk of a stream, redacted with every secret the agent
// holds and the sanitization patterns of settings_.config().json.
//
// Redact works while the agent is locked: it serves no secret, it only removes them. It cannot be
// used as an oracle to recover one either: only whole, exact occurrences are masked and how much
// input is decided does not depend on partial matches, so a caller learns at most whether a complete
// guess is a held secret.
#include <sys/stat.h>

#include "agentd/app/redact.hpp"

#include "agentd/redact/redactor.hpp"
#include "proto/base64.hpp"
#include "proto/mask.hpp"
#include "proto/redact.hpp"

namespace agentd::app {
namespace asio = boost::asio;

// config.json as redact last read it (device, inode, size, mtime): hand edits of
// `sanitization.patterns` take effect on the next chunk without restarting the agent.
struct RedactHandlers::Cache {
  std::unique_ptr<redact::Redactor> redactor;
  bool stamped = false;
  struct stat config_stamp {};
};

RedactHandlers::RedactHandlers(services::Settings& settings, services::Credentials& credentials)
    : settings_(settings), credentials_(credentials) {}

RedactHandlers::~RedactHandlers() = default;

namespace {

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

// Every secret the agent holds, viewed (not copied) with the label its mask shows.
std::vector<redact::HeldSecret> held_secrets(const tokens::TokenCache& cache) {
  std::vector<redact::HeldSecret> out;
  for (const auto& [profile, entry] : cache.entries()) {
    const auto& c = entry.credentials;
    if (!c.access_token.empty()) out.push_back({c.access_token, "access_token"});
    if (!c.refresh_token.empty()) out.push_back({c.refresh_token, "refresh_token"});
    if (!c.api_key.empty()) out.push_back({c.api_key, "api_key"});
  }
  return out;
}

}  // namespace

Handled<proto::Redact> RedactHandlers::on(const proto::Redact& request) {
  auto input = proto::base64_decode(request.data);
  if (!input) co_return proto::Error{proto::ErrorCode::bad_request, "redact: 'data' is not valid base64"};
  // The input may hold secrets (that is why it is here): do not leave them in freed heap.
  const proto::WipeOnExit wipe_input{*input};
  if (input->size() > proto::kMaxRedactInput) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "redact: a chunk carries at most " + std::to_string(proto::kMaxRedactInput) + " bytes"};
  }
  // Fail closed: with the store unread, secrets it holds would pass through unmasked.
  if (auto loaded = co_await credentials_.ensure_loaded(); !loaded) {
    co_return proto::Error{proto::ErrorCode::store_error,
                           "cannot redact: the secrets to mask could not be read (" + loaded.error().message + ")"};
  }
  if (!cache_) cache_ = std::make_unique<Cache>();
  Cache& rc = *cache_;

  struct stat now {};
  if (::stat(settings_.config_path().c_str(), &now) != 0) now = {};  // missing: every field zero
  if (!rc.stamped || !same_file_state(now, rc.config_stamp)) {
    FLUXLOOP_CO_TRY(reread, config::load(settings_.config_path()));
    // Only the patterns: the rest of the configuration is the agent's own to change.
    settings_.adopt_sanitization(std::move(reread.sanitization));
    rc.config_stamp = now;
    rc.stamped = true;
  }

  const auto secrets = held_secrets(credentials_.cache());
  if (!rc.redactor || !rc.redactor->built_from(secrets, settings_.config().sanitization)) {
    rc.redactor.reset();
    FLUXLOOP_CO_TRY(built, redact::Redactor::create(secrets, settings_.config().sanitization));
    rc.redactor = std::move(built);
  }

  FLUXLOOP_CO_TRY(chunk, rc.redactor->redact(*input, request.final ? redact::Final::yes : redact::Final::no));
  proto::RedactReply reply;
  reply.data = proto::base64_encode(chunk.data);
  reply.consumed = static_cast<std::int64_t>(chunk.consumed);
  co_return reply;
}

}  // namespace agentd::app
