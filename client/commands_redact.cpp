#include "client/commands_redact.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "client/output.hpp"
#include "proto/base64.hpp"
#include "proto/redact.hpp"

namespace client {
namespace {

// The client's whole buffer: the undecided tail the agent handed back plus what stdin added. One
// request never carries more, so memory stays bounded whatever the input size.
constexpr std::size_t kBuffer = proto::kMaxRedactInput;

Failure io_failure(const char* what) {
  return Failure{proto::kExitError, std::string("cannot ") + what + " (" + std::strerror(errno) + ")"};
}

// One read of whatever stdin has now (so a slow producer's lines come out promptly): appended to
// `buffer`; false at end of input.
Outcome<bool> read_some(std::string& buffer) {
  const std::size_t had = buffer.size();
  buffer.resize(kBuffer);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data() + had, kBuffer - had);
    if (n >= 0) {
      buffer.resize(had + static_cast<std::size_t>(n));
      return n > 0;
    }
    if (errno != EINTR) {
      buffer.resize(had);
      return io_failure("read standard input");
    }
  }
}

// Unbuffered, so redacted lines reach the next program in a pipe without delay. A closed pipe ends
// the client with SIGPIPE, as for any filter.
bool write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// One chunk. The agent closes connections idle for a minute (a quiet `tail -f`): the request is
// stateless, so it is sent again once on a fresh connection.
Outcome<proto::RedactReply> send(App& app, const proto::Redact& request) {
  auto reply = app.call(request);
  if (reply || reply.error().kind != FailureKind::unreachable) return reply;
  app.disconnect();
  return app.call(request);
}

}  // namespace

int redact(App& app) {
  std::string buffer;
  buffer.reserve(kBuffer);
  bool at_end = false;
  for (;;) {
    if (!at_end && buffer.size() < kBuffer) {
      auto more = read_some(buffer);
      if (!more) return report(more.error());
      at_end = !*more;
    }
    if (buffer.empty()) {
      if (at_end) return proto::kExitOk;
      continue;
    }
    proto::Redact request;
    request.data = proto::base64_encode(buffer);
    request.final = at_end;
    auto reply = send(app, request);
    if (!reply) return report(reply.error());
    auto output = proto::base64_decode(reply->data);
    if (!output || reply->consumed < 0 || static_cast<std::size_t>(reply->consumed) > buffer.size()) {
      return report(Failure{proto::kExitError, "bad redact reply from the agent (invalid data or length); nothing more was written"});
    }
    const auto consumed = static_cast<std::size_t>(reply->consumed);
    // The agent must decide something of a full buffer or of the last chunk, else this would spin.
    if (consumed == 0 && (at_end || buffer.size() == kBuffer)) {
      return report(Failure{proto::kExitError, "the agent made no progress redacting the input; check `fluxloop agent status`"});
    }
    if (!write_all(*output)) return report(io_failure("write to standard output"));
    buffer.erase(0, consumed);
  }
}

}  // namespace client
