#include "agentd/bridge/bridge.hpp"

#include <filesystem>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/bridge/watcher.hpp"
#include "agentd/util/blocking_call.hpp"
#include "proto/mask.hpp"

namespace agentd::bridge {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// A local file read or write (with fsync) that takes longer than this is reported and given up.
constexpr std::chrono::milliseconds kFileDeadline{5000};

std::string name_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }
std::string directory_of(const std::string& path) { return std::filesystem::path(path).parent_path().string(); }

}  // namespace

struct Bridge::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, std::string p, Hooks h)
      : executor(std::move(ex)),
        path(std::move(p)),
        hooks(std::move(h)),
        runner("the CLI bridge file " + path),
        idle(executor, asio::steady_timer::time_point::max()) {}

  asio::any_io_executor executor;
  std::string path;
  Hooks hooks;
  util::BlockingRunner runner;
  std::unique_ptr<Watcher> watcher;
  asio::steady_timer idle;  // cancelled whenever the loop runs dry: wakes settle()
  bool running = false;
  bool looping = false;
  bool dirty = false;
  bool removed_by_other = false;
  int own_renames = 0;  // our renames into place not yet seen by the watcher
  int own_unlinks = 0;  // our unlinks not yet seen by the watcher
  std::size_t rejected = 0;  // hash of a file whose adoption failed: not tried again
  std::string followed;
  std::string last_problem;
  proto::Status last = proto::Ok{};

  void changed() {
    dirty = true;
    if (looping || !running) return;
    looping = true;
    asio::co_spawn(executor, loop(shared_from_this()), asio::detached);
  }

  void on_event(FileEvent event) {
    switch (event) {
      case FileEvent::written:
        if (own_renames > 0) {
          --own_renames;  // our own write landing
          return;
        }
        break;
      case FileEvent::removed:
        if (own_unlinks > 0) {
          --own_unlinks;
          return;
        }
        removed_by_other = true;
        break;
      case FileEvent::overflow:
        own_renames = own_unlinks = 0;  // unknown which were seen: look at the file afresh
        break;
      case FileEvent::lost:
        break;
    }
    changed();
  }

  void ensure_watch(Target::Mode mode) {
    if (!running || (watcher && watcher->watching())) return;
    if (mode != Target::Mode::off) {
      if (auto ready = prepare_directory(path); !ready) {
        report(ready);
        return;
      }
    } else if (!std::filesystem::is_directory(directory_of(path))) {
      return;  // nothing to watch and nothing to bridge
    }
    if (!watcher) {
      std::weak_ptr<Impl> weak = shared_from_this();
      watcher = std::make_unique<Watcher>(executor, directory_of(path), name_of(path), [weak](FileEvent event) {
        if (auto self = weak.lock()) self->on_event(event);
      });
    }
    if (auto started = watcher->start(); !started) report(started);
  }

  void report(const proto::Status& status) {
    last = status;
    const std::string problem = status ? std::string() : status.error().message;
    if (problem == last_problem) return;  // said once, not at every refresh
    if (!problem.empty()) spdlog::warn("CLI bridge: {}", problem);
    last_problem = problem;
  }

  asio::awaitable<proto::Result<std::optional<std::string>>> read() {
    std::function<proto::Result<std::optional<std::string>>()> job = [p = path] { return read_auth_file(p); };
    co_return co_await runner.run<std::optional<std::string>>(std::move(job), kFileDeadline);
  }

  asio::awaitable<proto::Status> write(const std::string& content) {
    auto secret = std::make_shared<proto::SecretString>(content);
    ++own_renames;
    std::function<proto::Result<bool>()> work = [p = path, secret]() -> proto::Result<bool> {
      FLUXLOOP_CHECK(write_bridge_file(p, secret->text));
      return true;
    };
    auto done = co_await runner.run<bool>(std::move(work), kFileDeadline);
    if (!done) {
      --own_renames;
      co_return std::move(done).error();
    }
    co_return proto::Ok{};
  }

  asio::awaitable<proto::Status> remove() {
    ++own_unlinks;
    std::function<proto::Result<bool>()> work = [p = path] { return remove_bridge_file(p); };
    auto removed = co_await runner.run<bool>(std::move(work), kFileDeadline);
    if (!removed || !*removed) --own_unlinks;  // nothing removed: no event will come
    if (!removed) co_return std::move(removed).error();
    co_return proto::Ok{};
  }

  // One look at the file: adopt a login found there, then write or remove it as the target says.
  asio::awaitable<void> reconcile() {
    Target target = hooks.target();
    if (target.profile != followed) {
      if (hooks.follow) hooks.follow(followed, target.profile);
      followed = target.profile;
    }
    ensure_watch(target.mode);
    if (std::exchange(removed_by_other, false) && target.mode == Target::Mode::present) {
      spdlog::info("CLI bridge: {} was deleted by another program (the platform CLI's `auth logout`?): logging out profile {}",
                   path, target.profile);
      co_await hooks.logout(target.profile);
      dirty = true;  // the target changed
      co_return;
    }
    auto current = co_await read();
    if (!current) {
      report(current.error());
      co_return;
    }
    proto::SecretString content(current->value_or(std::string()));
    const bool exists = current->has_value();
    if (exists) proto::wipe(**current);
    std::optional<PlatformLogin> on_disk;
    if (exists) {
      if (auto parsed = parse_platform_login(content.text)) on_disk = std::move(*parsed);
    }
    // A file without a refresh token is the bridge's own (the platform CLI always stores one).
    bool ours = on_disk && on_disk->refresh_token.empty();
    if (target.mode != Target::Mode::off && on_disk && !on_disk->refresh_token.empty()) {
      const std::size_t fingerprint = std::hash<std::string>{}(content.text);
      if (fingerprint == rejected) co_return;  // its adoption failed: leave the platform CLI's login alone
      auto adopted = co_await hooks.adopt(target.profile, *on_disk);
      if (!adopted) {
        rejected = fingerprint;
        report(proto::Error{adopted.error().code, "could not take over the platform CLI's login from " + path + ": " +
                                                      adopted.error().message});
        co_return;
      }
      spdlog::info("CLI bridge: took over the platform CLI's login into profile {}; {} no longer holds its refresh token",
                   target.profile, path);
      ours = true;
      target = hooks.target();  // the profile holds the adopted login now
    }
    proto::Status outcome = proto::Ok{};
    if (target.mode == Target::Mode::present) {
      proto::SecretString desired(render_bridge(target.login));
      if (!exists || content.text != desired.text) outcome = co_await write(desired.text);
    } else if (exists && ours) {
      outcome = co_await remove();
    }
    report(outcome);
  }

  static asio::awaitable<void> loop(std::shared_ptr<Impl> self) {
    try {
      while (self->dirty && self->running) {
        self->dirty = false;
        co_await self->reconcile();
      }
    } catch (const std::exception& e) {
      // A bug must not leave settle() waiting forever.
      spdlog::error("CLI bridge failed unexpectedly: {}", e.what());
      self->last = proto::Error{proto::ErrorCode::internal, "the CLI bridge failed unexpectedly"};
    }
    self->looping = false;
    self->idle.cancel();
  }
};

Bridge::Bridge(asio::any_io_executor executor, std::string path, Hooks hooks)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(path), std::move(hooks))) {}

Bridge::~Bridge() { stop(); }

void Bridge::start() {
  impl_->running = true;
  impl_->changed();
}

void Bridge::stop() {
  impl_->running = false;
  if (impl_->watcher) impl_->watcher->stop();
  impl_->idle.cancel();
}

void Bridge::changed() { impl_->changed(); }

asio::awaitable<proto::Status> Bridge::settle() {
  auto impl = impl_;
  while (impl->running && (impl->looping || impl->dirty)) {
    co_await impl->idle.async_wait(kAwait);
  }
  co_return impl->last;
}

const std::string& Bridge::path() const { return impl_->path; }

}  // namespace agentd::bridge
