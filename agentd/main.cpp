// fluxloop-agentd: parse the command line, open the socket, (maybe) detach, then serve until told to stop.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app/app.hpp"
#include "agentd/config/config.hpp"
#include "agentd/daemon/code_pages.hpp"
#include "agentd/daemon/home_lock.hpp"
#include "agentd/daemon/launch.hpp"
#include "agentd/daemon/logging.hpp"
#include "agentd/daemon/process.hpp"
#include "agentd/helpers/program.hpp"
#include "agentd/lock/lifetime.hpp"
#include "agentd/sandbox/seccomp.hpp"
#include "agentd/server/listener.hpp"
#include "agentd/server/server.hpp"
#include "proto/exit_codes.hpp"
#include "proto/paths.hpp"

namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kExitGrace{10};  // after shutdown began, the longest we wait for the loop to drain

constexpr const char* kUsage =
    "Usage: fluxloop-agentd --foreground [--socket PATH] [--lifetime DURATION]\n"
    "       fluxloop-agentd --daemon [--socket PATH] [--lifetime DURATION]\n"
    "       fluxloop-agentd --version | --help\n"
    "\n"
    "The fluxloop agent: holds your credentials, refreshes tokens and serves them on a Unix socket.\n"
    "\n"
    "  --foreground   run attached to this terminal (and under systemd); logs go to stderr\n"
    "  --daemon       detach; print shell lines that export FLUXLOOP_AGENT_SOCK (like ssh-agent -s);\n"
    "                 logs go to $FLUXLOOP_HOME/agent.log\n"
    "  --socket PATH  socket to serve (default: $FLUXLOOP_AGENT_SOCK, else\n"
    "                 $XDG_RUNTIME_DIR/fluxloop/agent.sock, else /tmp/fluxloop-$UID/agent.sock)\n"
    "  --lifetime DURATION  forget credentials this long after they reach the agent (90s, 8h, 7d;\n"
    "                 like ssh-agent -t); a profile's own --lifetime may shorten it\n"
    "  --version      print the version\n"
    "  --help         print this help\n"
    "\n"
    "Under systemd socket activation (LISTEN_FDS) the agent serves the socket it was given.\n";

enum class Mode { none, foreground, daemon };

struct Options {
  Mode mode = Mode::none;
  std::string socket;
  std::int64_t lifetime_seconds = 0;  // --lifetime; 0: none
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "fluxloop-agentd: %s\n\n%s", message.c_str(), kUsage);
  std::exit(proto::kExitUsage);
}

Options parse(int argc, char** argv) {
  Options options;
  auto set_mode = [&](Mode mode) {
    if (options.mode != Mode::none && options.mode != mode) usage_error("--foreground and --daemon exclude each other");
    options.mode = mode;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(proto::kExitOk);
    } else if (arg == "--version") {
      std::printf("fluxloop-agentd %s\n", FLUXLOOP_VERSION);
      std::exit(proto::kExitOk);
    } else if (arg == "--foreground") {
      set_mode(Mode::foreground);
    } else if (arg == "--daemon") {
      set_mode(Mode::daemon);
    } else if (arg == "--socket") {
      if (i + 1 >= argc) usage_error("--socket needs a PATH");
      options.socket = argv[++i];
    } else if (arg == "--lifetime" || arg.starts_with("--lifetime=")) {
      std::string_view value;
      if (arg == "--lifetime") {
        if (i + 1 >= argc) usage_error("--lifetime needs a DURATION");
        value = argv[++i];
      } else {
        value = arg.substr(11);
      }
      auto lifetime = agentd::lock::parse_duration(value);
      if (!lifetime) usage_error("--lifetime needs a DURATION such as 90s, 30m, 8h or 7d, got '" + std::string(value) + "'");
      options.lifetime_seconds = lifetime->count();
    } else if (arg.starts_with("--socket=")) {
      options.socket = std::string(arg.substr(9));
      if (options.socket.empty()) usage_error("--socket needs a PATH");
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (options.mode == Mode::none) usage_error("choose --foreground or --daemon");
  return options;
}

// Stops the io_context if it has not drained `kExitGrace` after shutdown began: a store call stuck in
// a worker must not keep a stopping agent alive.
class ExitWatchdog {
 public:
  void arm(asio::io_context& io) {
    thread_ = std::thread([this, &io] {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_for(lock, kExitGrace, [this] { return done_; })) {
        expired_ = true;
        io.stop();
      }
    });
  }
  // True when the watchdog had to stop the loop.
  bool disarm() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return expired_;
  }

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool expired_ = false;
};

int serve(const Options& options, const std::string& home, agentd::server::Listener& listener,
          agentd::daemon::StartupReport& report, const sigset_t& startup_mask) {
  // Created only now: after a --daemon fork, so no Asio state (epoll fd, threads) crosses fork().
  asio::io_context io(1);
  std::optional<agentd::server::Server> server;
  std::function<void(std::string)> begin_shutdown;
  const char* forced_store = std::getenv("FLUXLOOP_STORE");
  agentd::app::App app(io.get_executor(),
                  agentd::app::AppOptions{
                      .home = home,
                      .socket_path = listener.path(),
                      .forced_store = forced_store ? forced_store : "",
                      .lifetime_seconds = options.lifetime_seconds,
                      .launch = listener.owner() == agentd::server::SocketOwner::systemd ? proto::LaunchMode::systemd_socket
                                : options.mode == Mode::daemon                             ? proto::LaunchMode::daemon
                                                                                           : proto::LaunchMode::foreground,
                      .unit = agentd::daemon::systemd_unit(),
                      // Posted, not called: the agent_stop request is answered before connections close.
                      .request_stop = [&] { asio::post(io, [&] { begin_shutdown("agent_stop request"); }); },
                      .connection_count = [&server] {
                        return server ? static_cast<std::int64_t>(server->connection_count()) : 0;
                      },
                  });
  server.emplace(io.get_executor(), listener.release_fd(), app);

  int exit_code = proto::kExitOk;
  bool shutting_down = false;
  bool drained = true;
  ExitWatchdog watchdog;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  // Under a terminal, a hang-up ends a foreground agent; a daemon has no terminal and ignores it.
  if (options.mode == Mode::foreground) signals.add(SIGHUP);
  const auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };

  // Stop accepting, let replies in flight finish, stop the app's timers, remove our socket and lock.
  begin_shutdown = [&](std::string reason) {
    if (shutting_down) return;
    shutting_down = true;
    spdlog::info("shutting down: {}", reason);
    watchdog.arm(io);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          drained = co_await server->stop();
          app.shutdown();
          listener.remove();  // a systemd socket stays: systemd owns it
          boost::system::error_code ignored;
          signals.cancel(ignored);
        },
        rethrow);
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) begin_shutdown(std::string("received SIG") + ::sigabbrev_np(signo));
  });
  // The signal_set's handlers are installed: a stop signal that arrived since start-up is delivered now.
  ::pthread_sigmask(SIG_SETMASK, &startup_mask, nullptr);

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto started = co_await app.start();
        if (!started) {
          spdlog::error("cannot start: {}", started.error().message);
          report.failed(started.error().message);
          exit_code = proto::kExitError;
          begin_shutdown("start-up failed");
          co_return;
        }
        if (shutting_down) co_return;
        server->start();
        spdlog::info("fluxloop-agentd {} serving {} (pid {}{})", FLUXLOOP_VERSION, listener.path(), ::getpid(),
                     listener.owner() == agentd::server::SocketOwner::systemd ? ", socket from systemd" : "");
        report.ready();
        // Start-up code has run: its pages need not stay resident in an idle agent.
        agentd::daemon::trim_code_pages();
      },
      rethrow);

  try {
    io.run();
  } catch (const std::exception& e) {
    spdlog::critical("agent failed: {}", e.what());
    report.failed(e.what());
    listener.remove();
    std::fflush(nullptr);
    ::_exit(proto::kExitError);  // coroutine frames may still refer to what we would destroy
  }
  if (watchdog.disarm() || !drained) {
    spdlog::warn("exiting with requests still pending");
    listener.remove();
    std::fflush(nullptr);
    ::_exit(exit_code);
  }
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: nothing this process will ever hold may end up in a core file.
  const auto hardened = agentd::daemon::disable_core_dumps();
  const Options options = parse(argc, argv);
  agentd::daemon::setup_logging();
  if (!hardened) spdlog::warn("{}", hardened.error().message);
  // Room for many idle connections (one fd each); the server sizes its cap to what this gives.
  agentd::daemon::raise_fd_limit();
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-reply is an error value, not a death
  // The agent's only children are its helpers (agentd/helpers): the kernel reaps them as they exit
  // (a keyring helper ending itself when idle leaves no zombie). They are watched and killed by pidfd.
  struct sigaction children{};
  children.sa_handler = SIG_DFL;
  children.sa_flags = SA_NOCLDWAIT;
  ::sigaction(SIGCHLD, &children, nullptr);
  if (options.mode == Mode::daemon) ::signal(SIGHUP, SIG_IGN);
  // Stop signals wait (blocked, pending) until the signal_set handles them: the socket is live long
  // before the io_context exists, and a SIGTERM in between must still mean a clean shutdown that
  // removes the socket, not death by the default action.
  sigset_t stop_signals, startup_mask;
  sigemptyset(&stop_signals);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, signo);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, &startup_mask);

  // The home is checked (private, ours) and locked before anything else: one agent per FLUXLOOP_HOME,
  // whatever socket each would serve, so two agents never refresh the same login.
  const std::string home = agentd::config::home_dir();
  if (auto private_home = agentd::daemon::check_home(home); !private_home) {
    spdlog::error("{}", private_home.error().message);
    return proto::kExitError;
  }
  const std::string requested = options.socket.empty() ? proto::default_socket_path() : options.socket;
  std::error_code ignored;
  auto home_lock = agentd::daemon::HomeLock::take(home, std::filesystem::absolute(requested, ignored).lexically_normal().string());
  if (!home_lock) {
    spdlog::error("{}", home_lock.error().message);
    return proto::kExitError;
  }
  // The listener comes first, even for --daemon: its errors reach the terminal, and the socket is live
  // before the parent prints where it is.
  auto listener = agentd::server::Listener::open(requested);
  if (!listener) {
    spdlog::error("{}", listener.error().message);
    return proto::kExitError;
  }
  home_lock->record(listener->path());  // systemd's socket, or ours made absolute

  agentd::daemon::StartupReport report;
  if (options.mode == Mode::daemon) {
    std::string log_path;
    auto log = agentd::daemon::open_daemon_log(home, log_path);
    if (!log) {
      spdlog::error("{}", log.error().message);
      return proto::kExitError;
    }
    try {
      report = agentd::daemon::daemonize(listener->path(), std::move(*log), log_path);
    } catch (const std::exception& e) {
      spdlog::error("cannot detach: {}", e.what());
      return proto::kExitError;
    }
    listener->record_pid();  // the lock file names the process that will hold it
    home_lock->record(listener->path());  // the child holds the inherited lock; it names itself
    agentd::daemon::rotate_log_file(log_path);  // stderr is agent.log now: keep it bounded while running
  }
  // The helper programs are opened now: once the filter is in, they are the only programs the agent
  // can start (execveat on these descriptors), docs/security.md "Helper processes".
  agentd::helpers::open_programs();
  // Start-up (socket, fork) is done: from here on no execve, ptrace or odd sockets (docs/security.md).
  if (auto sandboxed = agentd::sandbox::enter(); !sandboxed) {
    spdlog::error("{}", sandboxed.error().message);
    report.failed(sandboxed.error().message);
    return proto::kExitError;
  }
  return serve(options, home, *listener, report, startup_mask);
}
