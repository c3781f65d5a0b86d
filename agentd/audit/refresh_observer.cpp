#include "agentd/audit/refresh_observer.hpp"

#include <memory>
#include <string>
#include <utility>

namespace agentd::audit {
namespace {

namespace asio = boost::asio;
using RefreshHook = decltype(tokens::RefresherHooks::refresh);

// A plain coroutine with by-value parameters, not a capturing coroutine lambda: its frame owns
// everything it uses, whatever happens to the std::function that started it.
asio::awaitable<tokens::Attempt> observed(std::shared_ptr<const RefreshHook> inner, Monitor* monitor,
                                          std::string profile, store::Credentials current) {
  auto attempt = co_await (*inner)(profile, std::move(current));
  if (!attempt.result) monitor->refresh_failed(profile, attempt.result.error().code);
  co_return attempt;
}

}  // namespace

tokens::RefresherHooks observe_refreshes(tokens::RefresherHooks hooks, Monitor& monitor) {
  auto inner = std::make_shared<const RefreshHook>(std::move(hooks.refresh));
  hooks.refresh = [inner, monitor = &monitor](const std::string& profile, store::Credentials current) {
    return observed(inner, monitor, profile, std::move(current));
  };
  return hooks;
}

}  // namespace agentd::audit
