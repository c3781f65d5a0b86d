// Handler of redact (docs/redact.md): one chunk of a stream, with every secret the agent holds and
// the sanitization patterns of config.json masked.
#pragma once

#include <memory>

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages_platform.hpp"

namespace agentd::app {

// Redaction with a Redactor cached until the secrets held or the patterns change.
class RedactHandlers {
 public:
  RedactHandlers(services::Settings& settings, services::Credentials& credentials);
  ~RedactHandlers();
  // Redacts one chunk; works while locked (it only removes secrets).
  Handled<proto::Redact> on(const proto::Redact& request);

 private:
  struct Cache;  // the Redactor and the config.json stamp it was built from
  services::Settings& settings_;
  services::Credentials& credentials_;
  std::unique_ptr<Cache> cache_;  // rebuilt only when the secrets held or the patterns change
};

}  // namespace agentd::app
