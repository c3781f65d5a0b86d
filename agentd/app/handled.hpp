// What a request handler returns, derived from its request: a wrong reply type does not compile.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "proto/result.hpp"

namespace agentd::app {

// The result of handling request R: its reply (R::Reply, proto/messages*.hpp) or the error the client sees.
template <typename R>
using Handled = boost::asio::awaitable<proto::Result<typename R::Reply>>;

}  // namespace agentd::app
