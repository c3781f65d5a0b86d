// OIDC device login (RFC 8628): the agent polls the token endpoint; the client shows the code.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentd/kinds/oidc/flows.hpp"
#include "agentd/oauth/qr.hpp"
#include "agentd/oauth/token_client.hpp"

namespace agentd::kinds::oidc {
namespace {
namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr auto kSlowDownStep = std::chrono::seconds(5);  // RFC 8628 §3.5

proto::Error expired(const std::string& profile) {
  return proto::Error{proto::ErrorCode::timeout, "the device code expired before the login was approved; run `fluxloop auth login --device --profile " +
                                                     profile + "` again"};
}

class DeviceFlow final : public LoginFlow {
 public:
  DeviceFlow(FlowContext context, oauth::DeviceAuthorization device) : ctx_(std::move(context)), device_(std::move(device)) {}

  asio::awaitable<proto::Result<Arrival>> finish() override {
    auto timer = std::make_shared<asio::steady_timer>(ctx_.services.executor);
    // A superseded login stops waiting at once instead of after its interval.
    ctx_.control->on_end([weak = std::weak_ptr<asio::steady_timer>(timer)] {
      if (auto t = weak.lock()) t->cancel();
    });
    const auto deadline = std::chrono::steady_clock::now() + device_.expires_in;
    auto interval = device_.interval;
    while (!ctx_.control->ended()) {
      timer->expires_after(interval);
      co_await timer->async_wait(kAwait);
      if (ctx_.control->ended()) break;
      if (std::chrono::steady_clock::now() >= deadline) co_return expired(ctx_.profile.name);
      oauth::DevicePollRequest poll_request{ctx_.metadata.token_endpoint, ctx_.client.client_id, device_.device_code};
      auto poll = co_await oauth::poll_device_token(*ctx_.services.http, std::move(poll_request));
      if (!poll) {
        const auto code = poll.error().code;
        // A blip of the network or server should not cost the user their approval: keep polling.
        if (code == proto::ErrorCode::network || code == proto::ErrorCode::server_error) {
          interval += kSlowDownStep;
          continue;
        }
        co_return poll.error().to_proto();
      }
      switch (poll->state) {
        case oauth::DevicePollState::pending: break;
        case oauth::DevicePollState::slow_down: interval += kSlowDownStep; break;
        case oauth::DevicePollState::expired_token: co_return expired(ctx_.profile.name);
        case oauth::DevicePollState::access_denied:
          co_return proto::Error{proto::ErrorCode::permission_denied, "the login was denied at the verification page"};
        case oauth::DevicePollState::success: co_return co_await arrival_of(ctx_, std::move(*poll->tokens));
      }
    }
    co_return proto::Error{proto::ErrorCode::invalid_argument, "superseded by a newer login"};
  }

 private:
  FlowContext ctx_;
  oauth::DeviceAuthorization device_;
};

}  // namespace

asio::awaitable<proto::Result<StartedLogin>> start_device(FlowContext ctx) {
  if (ctx.metadata.device_authorization_endpoint.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the authorization server of profile '" + ctx.profile.name +
                               "' offers no device login; use `fluxloop auth login` in a desktop session"};
  }
  oauth::DeviceRequest device_request{ctx.metadata.device_authorization_endpoint, ctx.client.client_id, ctx.scope};
  auto device = co_await oauth::start_device_authorization(*ctx.services.http, std::move(device_request));
  if (!device) co_return device.error().to_proto();
  StartedLogin started;
  started.reply.method = proto::LoginMethod::device;
  started.reply.verification_uri = device->verification_uri;
  started.reply.verification_uri_complete = device->verification_uri_complete;
  started.reply.user_code = device->user_code;
  started.reply.qr_code = oauth::terminal_qr(device->verification_uri_complete.empty() ? device->verification_uri
                                                                                     : device->verification_uri_complete);
  started.reply.expires_in = device->expires_in.count();
  started.flow = std::make_unique<DeviceFlow>(std::move(ctx), std::move(*device));
  co_return started;
}

}  // namespace agentd::kinds::oidc
