#include "proto/enums.hpp"

namespace proto {

// A value added to an enum without its name (or out of order) fails here, not on the wire.
static_assert(names_in_order<ProfileKind>());
static_assert(names_in_order<LoginMethod>());
static_assert(names_in_order<ProfileState>());
static_assert(names_in_order<KeyScope>());
static_assert(names_in_order<KeyType>());
static_assert(names_in_order<UsageKind>());
static_assert(names_in_order<CredentialType>());
static_assert(names_in_order<StoreKind>());
static_assert(names_in_order<LaunchMode>());
static_assert(names_in_order<BridgeState>());
static_assert(names_in_order<AnomalyKind>());
static_assert(names_in_order<ConfigKey>());
static_assert(to_string(ProfileState::login_pending) == "login_pending");

}  // namespace proto
