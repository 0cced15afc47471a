// loop.h: what the event loop is about to do (layer: net).
#pragma once

#include <asio/io_context.hpp>

namespace mnemo::net {

// True when the next step of `io` (run by one thread, the caller's) is to poll the reactor:
// every handler made ready by the last poll, and every handler posted since, has run. This is
// Redis's beforeSleep moment, where the output of a loop turn is written at once.
bool ReactorPollsNext(asio::io_context& io);

}  // namespace mnemo::net
