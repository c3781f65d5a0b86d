#include "agentd/kinds/fluxloop/fluxloop_kind.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/kinds/fluxloop/cli_connect.hpp"
#include "agentd/oauth/qr.hpp"
#include "proto/mask.hpp"

namespace agentd::kinds::fluxloop {
namespace {
namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr KeyApi kKeys{.collection = "/api/api-keys", .per_project = true, .item_get = false, .lookup_by_value = false};

std::string again(const std::string& profile) { return "run `fluxloop auth login --profile " + profile + "` again"; }

// Polls complete every `interval`, never sooner (the platform counts and may punish faster polls);
// a network or server blip does not end the login, it only waits another interval.
class CliConnectFlow final : public LoginFlow {
 public:
  CliConnectFlow(Services services, ProfileView profile, std::string endpoint, std::shared_ptr<LoginControl> control,
                 Start start)
      : services_(std::move(services)),
        profile_(std::move(profile)),
        endpoint_(std::move(endpoint)),
        control_(std::move(control)),
        device_code_(start.device_code),
        expires_in_(start.expires_in),
        interval_(start.interval) {}
  ~CliConnectFlow() override { proto::wipe(device_code_); }

  asio::awaitable<proto::Result<Arrival>> finish() override {
    auto timer = std::make_shared<asio::steady_timer>(services_.executor);
    control_->on_end([weak = std::weak_ptr<asio::steady_timer>(timer)] {
      if (auto t = weak.lock()) t->cancel();
    });
    const auto deadline = std::chrono::steady_clock::now() + expires_in_;
    const std::string& name = profile_.name;
    while (!control_->ended()) {
      // The wait comes first and is always the full interval, whatever the last poll's outcome.
      timer->expires_after(interval_);
      co_await timer->async_wait(kAwait);
      if (control_->ended()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        co_return proto::Error{proto::ErrorCode::timeout, "the login code expired before the login was approved; " + again(name)};
      }
      auto poll = co_await complete(*services_.http, endpoint_, device_code_);
      if (!poll) {
        const auto code = poll.error().code;
        if (code == proto::ErrorCode::network || code == proto::ErrorCode::server_error) {
          spdlog::warn("profile {}: CLI connect poll failed ({}); polling on", name, poll.error().message);
          continue;
        }
        co_return proto::Error{code, poll.error().message + "; " + again(name)};
      }
      switch (poll->status) {
        case Status::pending: break;
        case Status::denied:
          co_return proto::Error{proto::ErrorCode::permission_denied, "the login was denied at the platform's page; " + again(name)};
        case Status::expired:
          co_return proto::Error{proto::ErrorCode::timeout, "the login code expired before the login was approved; " + again(name)};
        case Status::approved: co_return arrival_of(poll->credential);
      }
    }
    co_return proto::Error{proto::ErrorCode::invalid_argument, "superseded by a newer login"};
  }

 private:
  Arrival arrival_of(const Credential& credential) const {
    Arrival arrival;
    arrival.received = tokens::BootClock::now();
    arrival.expires_in = credential.expires_in;
    auto& c = arrival.credentials;
    c.access_token = credential.access_token;
    c.refresh_token = credential.refresh_token;
    c.expires_at = tokens::format_rfc3339(std::chrono::system_clock::now() + credential.expires_in);
    c.user_id = credential.user_id;
    c.user_email = credential.user_email;
    c.api_endpoint = endpoint_;  // the binding: refreshed only here
    return arrival;
  }

  Services services_;
  ProfileView profile_;
  std::string endpoint_;
  std::shared_ptr<LoginControl> control_;
  std::string device_code_;
  std::chrono::seconds expires_in_;
  std::chrono::seconds interval_;
};

class FluxloopKind final : public ProfileKind {
 public:
  explicit FluxloopKind(const Services& services) : services_(services) {}

  proto::ProfileKind id() const noexcept override { return proto::ProfileKind::fluxloop; }
  const KeyApi& keys() const noexcept override { return kKeys; }

  asio::awaitable<proto::Result<StartedLogin>> start_login(LoginRequest request) override {
    const std::string endpoint = request.profile.api_endpoint();
    FLUXLOOP_CO_CHECK(config::validate_https_url(endpoint, "the API endpoint"));
    auto started = co_await start(*services_.http, endpoint);
    if (!started) co_return std::move(started).error();
    StartedLogin out;
    out.reply.method = proto::LoginMethod::cli_connect;
    out.reply.verification_uri = started->verification_url;
    out.reply.user_code = started->user_code;
    out.reply.qr_code = oauth::terminal_qr(started->verification_url);
    out.reply.expires_in = started->expires_in.count();
    out.flow = std::make_unique<CliConnectFlow>(services_, request.profile, endpoint, request.control, std::move(*started));
    co_return out;
  }

  asio::awaitable<tokens::Attempt> refresh(ProfileView profile, store::Credentials current) override {
    // Bound to where the login happened; an imported login without one belongs to the profile's endpoint.
    const std::string endpoint = current.api_endpoint.empty() ? profile.api_endpoint() : current.api_endpoint;
    auto attempt = co_await fluxloop::refresh(*services_.http, endpoint, current.refresh_token.str());
    co_return attempt;
  }

  asio::awaitable<Revocation> revoke(ProfileView, store::Credentials) override {
    Revocation out;
    out.warning = "the FluxLoop platform has no revocation endpoint: the tokens were forgotten here and stay valid "
                  "at the platform until they expire";
    co_return out;
  }

 private:
  Services services_;
};

}  // namespace

std::unique_ptr<ProfileKind> make_kind(const Services& services) { return std::make_unique<FluxloopKind>(services); }

}  // namespace agentd::kinds::fluxloop
