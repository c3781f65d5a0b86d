// The refresher with a fake clock (RefresherHooks::now) and a fake HTTP grant (RefresherHooks::refresh):
// single-flight, backoff doubling within its jitter, Retry-After respected unless forced, rotation
// persisted before it is served, and the forced-refresh window. No timing is asserted: the clock only
// moves when a test moves it, and the loop runs until it has nothing left to do.
#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/refresher.hpp"
#include "agentd/tokens/token_cache.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentd::tokens::Attempt;
using agentd::tokens::BootClock;
using agentd::tokens::Grant;
using agentd::tokens::Refresher;
using Mode = Refresher::Mode;

// What the fake server answers next: a grant, or an error (with an optional Retry-After).
struct Answer {
  bool ok = true;
  proto::ErrorCode code = proto::ErrorCode::network;
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
};

struct Rig {
  asio::io_context io;
  agentd::tokens::TokenCache cache;
  BootClock::time_point clock = BootClock::now();
  std::deque<Answer> script;  // empty: grant
  int refreshes = 0;          // HTTP grants asked for
  bool hold = false;          // the fake HTTP call waits on `gate` until released
  asio::steady_timer gate{io, asio::steady_timer::time_point::max()};
  // What persist saw: the credentials it was asked to save, and what the cache served meanwhile.
  struct Saved {
    std::string saved_access;
    std::string served_access;
  };
  std::vector<Saved> persisted;
  bool persist_fails = false;
  int changed = 0;
  const std::string profile = "p";  // refresh() takes a reference: it must outlive the coroutine
  Refresher refresher;

  Rig() : refresher(io.get_executor(), cache, hooks()) {}
  ~Rig() { refresher.stop(); }

  agentd::tokens::RefresherHooks hooks() {
    agentd::tokens::RefresherHooks h;
    h.now = [this] { return clock; };
    h.refresh = [this](const std::string&, agentd::store::Credentials) -> asio::awaitable<Attempt> {
      ++refreshes;
      const int n = refreshes;
      if (hold) co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
      Answer answer;
      if (!script.empty()) {
        answer = script.front();
        script.pop_front();
      }
      if (!answer.ok) co_return Attempt{proto::Error{answer.code, "fake failure"}, answer.retry_after};
      Grant grant;
      grant.access_token = "access-" + std::to_string(n);
      grant.refresh_token = "refresh-" + std::to_string(n);
      grant.expires_in = 3600s;
      co_return Attempt{std::move(grant), std::nullopt};
    };
    h.persist = [this](const std::string& profile, const agentd::store::Credentials& c) -> asio::awaitable<proto::Status> {
      const auto* entry = cache.find(profile);
      persisted.push_back({c.access_token.str(), entry ? entry->credentials.access_token.str() : std::string()});
      if (persist_fails) co_return proto::Error{proto::ErrorCode::store_error, "disk full"};
      co_return proto::Ok{};
    };
    h.reload = [](const std::string&) -> asio::awaitable<std::optional<agentd::store::Credentials>> { co_return std::nullopt; };
    h.changed = [this](const std::string&) { ++changed; };
    return h;
  }

  void put(const std::string& access = "access-0") {
    agentd::store::Credentials c;
    c.access_token = access;
    c.refresh_token = "refresh-0";
    c.expires_at = agentd::tokens::format_rfc3339(std::chrono::system_clock::now() + 600s);
    cache.put("p", std::move(c));
  }

  // Starts a refresh; its outcome lands in the returned slot once the loop ran.
  std::shared_ptr<std::optional<proto::Status>> start(Mode mode) {
    auto slot = std::make_shared<std::optional<proto::Status>>();
    asio::co_spawn(io, refresher.refresh(profile, mode), [slot](std::exception_ptr e, proto::Status s) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          s = proto::Error{proto::ErrorCode::internal, std::string("exception: ") + x.what()};
        }
      }
      *slot = std::move(s);
    });
    return slot;
  }

  // Runs one refresh to completion and returns its outcome.
  proto::Status run(Mode mode) {
    auto slot = start(mode);
    io.restart();
    io.run();
    REQUIRE(slot->has_value());
    return std::move(**slot);
  }

  std::string served() { return cache.find("p") ? cache.find("p")->credentials.access_token.str() : std::string(); }
  // The backoff gate, in seconds after the fake clock's now.
  double gate_seconds() {
    auto at = refresher.next_attempt("p");
    REQUIRE(at.has_value());
    return std::chrono::duration<double>(*at - clock).count();
  }
};

}  // namespace

TEST_CASE("refresher: concurrent refreshes of one profile share one HTTP refresh and its outcome") {
  Rig rig;
  rig.put();
  rig.hold = true;
  std::vector<std::shared_ptr<std::optional<proto::Status>>> waiting;
  for (int i = 0; i < 16; ++i) waiting.push_back(rig.start(i % 2 == 0 ? Mode::force : Mode::respect_backoff));
  rig.io.poll();  // every caller is now waiting on the one flight
  CHECK(rig.refreshes == 1);
  for (const auto& slot : waiting) CHECK_FALSE(slot->has_value());
  rig.gate.cancel();  // the fake server answers
  rig.io.restart();
  rig.io.run();
  CHECK(rig.refreshes == 1);
  CHECK(rig.refresher.attempts() == 1);
  for (const auto& slot : waiting) {
    REQUIRE(slot->has_value());
    CHECK(slot->value().ok());
  }
  CHECK(rig.served() == "access-1");
}

TEST_CASE("refresher: backoff doubles from 1 s to 300 s within the 20 % jitter") {
  Rig rig;
  rig.put();
  double expected = 1;
  for (int failure = 1; failure <= 12; ++failure) {
    CAPTURE(failure);
    rig.script.push_back({.ok = false});
    rig.clock += 10min;  // past the forced-refresh window and any gate
    CHECK_FALSE(rig.run(Mode::force).ok());
    CHECK(rig.refreshes == failure);
    const double gate = rig.gate_seconds();
    CHECK(gate >= expected * 0.8 - 1e-6);
    CHECK(gate <= expected * 1.2 + 1e-6);
    expected = std::min(expected * 2, 300.0);
  }
  // A success clears the gate and the count: the next failure waits about 1 s again.
  rig.clock += 10min;
  CHECK(rig.run(Mode::force).ok());
  CHECK_FALSE(rig.refresher.next_attempt("p").has_value());
  rig.script.push_back({.ok = false});
  rig.clock += 10min;
  CHECK_FALSE(rig.run(Mode::force).ok());
  CHECK(rig.gate_seconds() <= 1.2 + 1e-6);
}

TEST_CASE("refresher: an on-demand refresh waits for the backoff gate, a forced one does not") {
  Rig rig;
  rig.put();
  rig.script.push_back({.ok = false});
  CHECK_FALSE(rig.run(Mode::respect_backoff).ok());
  REQUIRE(rig.refreshes == 1);
  const double gate = rig.gate_seconds();
  // Before the gate opens an on-demand refresh is answered with the last failure, without HTTP.
  rig.clock += std::chrono::duration_cast<BootClock::duration>(std::chrono::duration<double>(gate * 0.5));
  auto refused = rig.run(Mode::respect_backoff);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == proto::ErrorCode::network);
  CHECK(refused.error().message.find("next attempt in") != std::string::npos);
  CHECK(rig.refreshes == 1);
  // Once it opens, it asks again.
  rig.clock += 5s;
  CHECK(rig.run(Mode::respect_backoff).ok());
  CHECK(rig.refreshes == 2);
}

TEST_CASE("refresher: Retry-After sets the gate exactly and holds on-demand refreshes, but not forced ones") {
  Rig rig;
  rig.put();
  rig.script.push_back({.ok = false, .code = proto::ErrorCode::server_error, .retry_after = 30s});
  CHECK_FALSE(rig.run(Mode::respect_backoff).ok());
  CHECK(rig.gate_seconds() == doctest::Approx(30.0));
  rig.clock += 29s;
  CHECK_FALSE(rig.run(Mode::respect_backoff).ok());
  CHECK(rig.refreshes == 1);
  CHECK(rig.run(Mode::force).ok());  // 29 s later: past the forced window, so a real refresh
  CHECK(rig.refreshes == 2);
  CHECK(rig.served() == "access-2");
}

TEST_CASE("refresher: rotated tokens are persisted before they are served, and not asked for when the store cannot keep them") {
  Rig rig;
  rig.put();
  CHECK(rig.run(Mode::force).ok());
  // First the probe (what is held now), then the new tokens, saved while the old were still served.
  REQUIRE(rig.persisted.size() == 2);
  CHECK(rig.persisted[0].saved_access == "access-0");
  CHECK(rig.persisted[1].saved_access == "access-1");
  CHECK(rig.persisted[1].served_access == "access-0");
  CHECK(rig.served() == "access-1");
  CHECK(rig.cache.find("p")->credentials.refresh_token == "refresh-1");
  CHECK(rig.changed == 1);

  // A store that cannot save: no refresh token is spent.
  rig.persist_fails = true;
  rig.clock += 10min;
  auto refused = rig.run(Mode::force);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == proto::ErrorCode::store_error);
  CHECK(rig.refreshes == 1);
  CHECK(rig.served() == "access-1");
}

TEST_CASE("refresher: a forced refresh within the window adopts the one that landed, after it or on new tokens it refreshes") {
  Rig rig;
  rig.put();
  CHECK(rig.run(Mode::force).ok());
  REQUIRE(rig.refreshes == 1);
  // Within kForcedRefreshWindow of the landing: adopted, no HTTP.
  rig.clock += agentd::tokens::kForcedRefreshWindow - 1ms;
  CHECK(rig.run(Mode::force).ok());
  CHECK(rig.refreshes == 1);
  CHECK(rig.served() == "access-1");
  // At the window's end: a refresh again.
  rig.clock += 1ms;
  CHECK(rig.run(Mode::force).ok());
  CHECK(rig.refreshes == 2);
  // New tokens arrived (import, login) right after a landing: the landing was about the old ones.
  rig.put("imported");
  rig.clock += 1ms;
  CHECK(rig.run(Mode::force).ok());
  CHECK(rig.refreshes == 3);
  CHECK(rig.served() == "access-3");
  // An on-demand refresh is not adopted by the window (the caller needs a token valid for longer).
  CHECK(rig.run(Mode::respect_backoff).ok());
  CHECK(rig.refreshes == 4);
  // After forget (logout) nothing is adopted either.
  rig.refresher.forget("p");
  rig.clock += 1ms;
  CHECK(rig.run(Mode::force).ok());
  CHECK(rig.refreshes == 5);
}

TEST_CASE("refresher: a forced refresh within the window after a failure gets that failure, without HTTP") {
  Rig rig;
  rig.put();
  rig.script.push_back({.ok = false});
  CHECK_FALSE(rig.run(Mode::force).ok());
  rig.clock += 1s;
  auto adopted = rig.run(Mode::force);
  REQUIRE_FALSE(adopted.ok());
  CHECK(adopted.error().code == proto::ErrorCode::network);
  CHECK(rig.refreshes == 1);
  rig.clock += agentd::tokens::kForcedRefreshWindow;
  CHECK(rig.run(Mode::force).ok());
  CHECK(rig.refreshes == 2);
}
