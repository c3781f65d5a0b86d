// Handlers of credentials coming in and shown: auth_import, auth_status.
#pragma once

#include <memory>

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/logins.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages.hpp"

namespace agentd::audit {
class Monitor;
}
namespace agentd::util {
class BlockingRunner;
}

namespace agentd::app {

// Credentials brought in by a file, and the state of every profile.
class AuthHandlers {
 public:
  AuthHandlers(services::Settings& settings, services::Credentials& credentials, const services::Logins& logins,
               const audit::Monitor& monitor);
  ~AuthHandlers();
  // Imports a credentials file (either shape, CONTRACT.md), read off the I/O thread.
  Handled<proto::AuthImport> on(const proto::AuthImport& request);
  // The state of one or every profile; secrets masked.
  Handled<proto::AuthStatus> on(const proto::AuthStatus& request);

 private:
  services::Settings& settings_;
  services::Credentials& credentials_;
  const services::Logins& logins_;
  const audit::Monitor& monitor_;
  std::unique_ptr<util::BlockingRunner> file_io_;  // reads of files a request names, off the I/O thread
};

}  // namespace agentd::app
