// The agent's end of one helper process (docs/security.md "Helper processes"): started on the first
// call, any number of calls in flight (each with an id), closed after `idle` without calls so the
// helper exits and the agent returns to its idle footprint. A call past its deadline kills the helper
// (SIGKILL, reaped): whatever wedged it (a silent D-Bus) costs one deadline, and the next call starts
// a fresh one. A helper that dies fails its calls with a clear error; nothing else is lost.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agentd/helpers/program.hpp"
#include "proto/result.hpp"

namespace agentd::helpers {

enum class Unanswered { kill, keep };  // what a call past its deadline does to the helper

struct ChannelOptions {
  Program program;
  std::string service;         // what the errors call it: "the Secret Service", "the HTTPS helper"
  proto::ErrorCode failure_code;  // of the channel's own errors (no helper, died, deadline)
  std::string advice;          // appended to those errors
  std::chrono::milliseconds idle;  // without calls for this long, the helper is told to exit
};

class Channel {
 public:
  Channel(boost::asio::any_io_executor executor, ChannelOptions options);
  // Kills the helper, if any; calls still in flight then fail.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Sends `request` (a JSON object; its "id" is set here) to the helper, started with `environment`
  // when none runs, and returns its reply. Past `deadline` the error says "did not answer within …"
  // and, with Unanswered::kill, the helper is killed. The frame is wiped once written.
  boost::asio::awaitable<proto::Result<nlohmann::json>> call(nlohmann::json request, std::chrono::milliseconds deadline,
                                                             std::vector<std::string> environment,
                                                             Unanswered unanswered = Unanswered::kill);

  // Kills the helper now (shutdown); the next call starts another.
  void stop();
  // The running helper's pid (tests), nullopt when none.
  std::optional<pid_t> pid() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Stops every channel of the process (App::shutdown): no helper outlives the agent and no idle timer
// keeps a stopping io_context running.
void stop_all();

}  // namespace agentd::helpers
