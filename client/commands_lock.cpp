#include "client/commands_lock.hpp"

#include "client/output.hpp"
#include "client/passphrase.hpp"

namespace client {
namespace {

// Hashing on the agent plus its delay after a wrong passphrase: well inside this.
constexpr int kLockTimeoutMs = 60'000;

enum class Confirm { once, twice };

Outcome<Passphrase> obtain(const AgentLockOptions& options, std::string_view prompt, Confirm confirm) {
  if (options.passphrase_fd >= 0) return read_passphrase_fd(options.passphrase_fd);
  auto first = read_passphrase_tty(prompt);
  if (!first || confirm == Confirm::once) return first;
  auto second = read_passphrase_tty("Repeat the passphrase: ");
  if (!second) return std::move(second).error();
  if (first->text() != second->text()) {
    return Failure{proto::kExitError, "the passphrases differ; the agent was not locked", FailureKind::local};
  }
  return first;
}

// The agent, without starting one: locking or unlocking an agent that does not run means nothing.
Outcome<proto::AgentStatusReply> running_agent(App& app, std::string_view action) {
  auto status = app.call(proto::AgentStatus{}, Autostart::never);
  if (!status && status.error().kind == FailureKind::no_listener) {
    Failure f = std::move(status).error();
    f.message += ": no agent is running, so there is nothing to " + std::string(action);
    return f;
  }
  return status;
}

// Sends a request carrying `passphrase`, then wipes every copy this process made of it.
template <typename Req>
Outcome<proto::OkReply> send(App& app, Passphrase& passphrase) {
  Req request;
  request.passphrase.reserve(passphrase.text().size() + 1);
  request.passphrase.assign(passphrase.text());
  auto reply = app.call(request, Autostart::never, kLockTimeoutMs);
  proto::wipe(request.passphrase);
  return reply;
}

}  // namespace

int agent_lock(App& app, const AgentLockOptions& options) {
  auto status = running_agent(app, "lock");
  if (!status) return report(status.error());
  if (status->locked) return report(Failure{proto::kExitError, "the agent is already locked; unlock it with `fluxloop agent unlock`"});
  auto passphrase = obtain(options, "Passphrase to lock the agent: ", Confirm::twice);
  if (!passphrase) return report(passphrase.error());
  auto reply = send<proto::AgentLock>(app, *passphrase);
  if (!reply) return report(reply.error());
  note("agent locked: it serves no token or key until `fluxloop agent unlock` (refreshes go on)");
  return proto::kExitOk;
}

int agent_unlock(App& app, const AgentLockOptions& options) {
  auto status = running_agent(app, "unlock");
  if (!status) return report(status.error());
  if (!status->locked) {
    note("the agent is not locked");
    return proto::kExitOk;
  }
  auto passphrase = obtain(options, "Passphrase to unlock the agent: ", Confirm::once);
  if (!passphrase) return report(passphrase.error());
  auto reply = send<proto::AgentUnlock>(app, *passphrase);
  if (!reply) return report(reply.error());
  note("agent unlocked");
  return proto::kExitOk;
}

}  // namespace client
