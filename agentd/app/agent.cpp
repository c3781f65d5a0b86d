// agent_status and agent_stop.
#include "agentd/app/agent.hpp"

#include <unistd.h>

#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "agentd/audit/monitor.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;

// The reply to agent_stop must reach the client before the server cancels its sessions.
constexpr auto kStopDelay = std::chrono::milliseconds(100);

}  // namespace

AgentHandlers::AgentHandlers(asio::any_io_executor executor, const services::Settings& settings,
                             services::Credentials& credentials, const services::Lock& lock, audit::Monitor& monitor)
    : executor_(std::move(executor)), settings_(settings), credentials_(credentials), lock_(lock), monitor_(monitor) {}

Handled<proto::AgentStatus> AgentHandlers::on(const proto::AgentStatus&) {
  const auto& options = settings_.options();
  proto::AgentStatusReply reply;
  reply.version = FLUXLOOP_VERSION;
  reply.pid = ::getpid();
  reply.uptime_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - settings_.started()).count();
  reply.socket = options.socket_path;
  reply.store = credentials_.store().kind();
  reply.store_detail = credentials_.store_problem().empty() ? credentials_.store_detail() : credentials_.store_problem();
  reply.home = options.home;
  reply.launch = options.launch;
  reply.unit = options.unit;
  reply.profiles = static_cast<std::int64_t>(credentials_.cache().entries().size());
  reply.connections = options.connection_count ? options.connection_count() : 0;
  reply.locked = lock_.locked();
  reply.lifetime_seconds = options.lifetime_seconds;
  reply.requests = monitor_.requests();
  reply.usage = monitor_.usage();
  reply.anomalies = monitor_.anomalies();
  co_return reply;
}

Handled<proto::AgentStop> AgentHandlers::on(const proto::AgentStop&, const server::Peer& peer) {
  spdlog::info("stop requested by pid {}", peer.pid);
  auto timer = std::make_shared<asio::steady_timer>(executor_, kStopDelay);
  timer->async_wait([timer, stop = settings_.options().request_stop](boost::system::error_code) {
    if (stop) stop();
  });
  co_return proto::OkReply{};
}

}  // namespace agentd::app
