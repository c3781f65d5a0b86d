// The refresher's per-profile minimum lead (set_min_lead), which the CLI bridge uses so the platform
// CLI never finds less than 5 min 30 s left: real timers, fake grants.
#include <doctest/doctest.h>

#include <chrono>

#include <boost/asio/io_context.hpp>

#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/refresher.hpp"
#include "agentd/tokens/token_cache.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentd::tokens::Refresher;

struct Rig {
  asio::io_context io;
  agentd::tokens::TokenCache cache;
  std::chrono::seconds lifetime;  // of the tokens each fake refresh grants
  int refreshes = 0;
  Refresher refresher;

  explicit Rig(std::chrono::seconds l) : lifetime(l), refresher(io.get_executor(), cache, hooks()) {}

  agentd::tokens::RefresherHooks hooks() {
    agentd::tokens::RefresherHooks h;
    h.refresh = [this](const std::string&, agentd::store::Credentials) -> asio::awaitable<agentd::tokens::Attempt> {
      ++refreshes;
      agentd::tokens::Grant grant;
      grant.access_token = "access-" + std::to_string(refreshes);
      grant.refresh_token = "refresh-" + std::to_string(refreshes);
      grant.expires_in = lifetime;
      co_return agentd::tokens::Attempt{std::move(grant), std::nullopt};
    };
    h.persist = [](const std::string&, const agentd::store::Credentials&) -> asio::awaitable<proto::Status> {
      co_return proto::Ok{};
    };
    h.reload = [](const std::string&) -> asio::awaitable<std::optional<agentd::store::Credentials>> { co_return std::nullopt; };
    return h;
  }

  void put(std::chrono::seconds remaining) {
    agentd::store::Credentials c;
    c.access_token = "access-0";
    c.refresh_token = "refresh-0";
    c.expires_at = agentd::tokens::format_rfc3339(std::chrono::system_clock::now() + remaining);
    cache.put("p", std::move(c));
  }

  // Runs the loop until `count` refreshes happened or `limit` passed.
  void run_until(int count, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (refreshes < count && std::chrono::steady_clock::now() < end) io.run_for(20ms);
  }
};

}  // namespace

TEST_CASE("refresher lead: tokens living longer than the lead are refreshed while the lead remains") {
  // 332 s tokens: the usual schedule refreshes after about 200 s; a 330 s lead makes it about 2 s.
  Rig rig(332s);
  rig.put(332s);
  rig.refresher.set_min_lead("p", 330s);
  rig.refresher.start();
  rig.run_until(2, 8s);
  CHECK(rig.refreshes >= 2);  // and again after the first refresh: its tokens live longer than the lead
  rig.refresher.stop();
}

TEST_CASE("refresher lead: without it the usual schedule applies, and tokens shorter than the lead are not refreshed in a loop") {
  Rig usual(332s);
  usual.put(332s);
  usual.refresher.start();
  usual.run_until(1, 3s);
  CHECK(usual.refreshes == 0);
  usual.refresher.stop();

  // Loaded tokens with 5 s left and an unknown lifetime: refreshed at once to learn it (5 s < lead);
  // the grant says they live 5 s, so from then on the usual two-thirds schedule, not a loop.
  Rig short_lived(5s);
  short_lived.put(5s);
  short_lived.refresher.set_min_lead("p", 330s);
  short_lived.refresher.start();
  short_lived.run_until(1, 3s);
  REQUIRE(short_lived.refreshes == 1);
  short_lived.run_until(2, 2s);  // the next refresh is due only after about 3 s
  CHECK(short_lived.refreshes == 1);
  short_lived.refresher.stop();
}
