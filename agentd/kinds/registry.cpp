#include "agentd/kinds/registry.hpp"

#include "agentd/kinds/fluxloop/fluxloop_kind.hpp"
#include "agentd/kinds/oidc/oidc_kind.hpp"

namespace agentd::kinds {
namespace {

struct Registration {
  proto::ProfileKind kind;
  std::unique_ptr<ProfileKind> (*make)(const Services&);
};

// One line per kind, in proto::ProfileKind order. A kind added to the enum without a line here
// (or out of order) does not compile.
constexpr std::array kRegistrations{
    Registration{proto::ProfileKind::oidc, &oidc::make_kind},
    Registration{proto::ProfileKind::fluxloop, &fluxloop::make_kind},
};

constexpr bool registered_in_order() {
  for (std::size_t i = 0; i < kRegistrations.size(); ++i) {
    if (static_cast<std::size_t>(kRegistrations[i].kind) != i) return false;
  }
  return kRegistrations.size() == proto::enum_count<proto::ProfileKind>();
}
static_assert(registered_in_order(), "every proto::ProfileKind needs exactly one registration, in enum order");

}  // namespace

void LoginControl::on_end(std::function<void()> closer) {
  if (ended_) {
    closer();
    return;
  }
  closers_.push_back(std::move(closer));
}

void LoginControl::end() {
  if (ended_) return;
  ended_ = true;
  auto closers = std::move(closers_);
  for (auto& closer : closers) closer();
}

std::string ProfileView::api_endpoint() const {
  return config.api_endpoint.empty() ? std::string(config::kDefaultApiEndpoint) : config.api_endpoint;
}

Registry::Registry(const Services& services) {
  for (const auto& registration : kRegistrations) {
    kinds_[static_cast<std::size_t>(registration.kind)] = registration.make(services);
  }
}

ProfileKind& Registry::operator[](proto::ProfileKind kind) const { return *kinds_.at(static_cast<std::size_t>(kind)); }

proto::ProfileKind kind_of(const config::Profile* configured, const store::Credentials* held) {
  if (configured) return configured->kind;
  if (held && (!held->issuer.empty() || !held->client_id.empty() || !held->token_endpoint.empty())) {
    return proto::ProfileKind::oidc;
  }
  return proto::ProfileKind::fluxloop;
}

}  // namespace agentd::kinds
