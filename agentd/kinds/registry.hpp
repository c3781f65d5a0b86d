// Every profile kind of the agent, by proto::ProfileKind (registered in registry.cpp), and which
// kind a profile has.
#pragma once

#include <array>
#include <memory>

#include "agentd/kinds/kind.hpp"

namespace agentd::kinds {

class Registry {
 public:
  explicit Registry(const Services& services);
  // The kind's implementation; every proto::ProfileKind has one (checked at compile time).
  ProfileKind& operator[](proto::ProfileKind kind) const;

 private:
  std::array<std::unique_ptr<ProfileKind>, proto::enum_count<proto::ProfileKind>()> kinds_;
};

// The kind of a profile: its configuration's when configured; otherwise oidc when the credentials
// held carry an issuer, client id or token endpoint (an imported OIDC login), else fluxloop.
proto::ProfileKind kind_of(const config::Profile* configured, const store::Credentials* held);

}  // namespace agentd::kinds
