#include "proto/enums.hpp"

namespace proto {

// A value added to an enum without its name (or out of order) fails here, not on the wire.
static_assert(names_in_order<ProfileKind>());
static_assert(names_in_order<LoginMethod>());
static_assert(names_in_order<ProfileState>());
static_assert(to_string(ProfileState::login_pending) == "login_pending");

}  // namespace proto
