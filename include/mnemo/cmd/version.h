// version.h: the versions the server reports (layer: cmd).
#pragma once

#include <string_view>

namespace mnemo::cmd {

// The Redis version whose behaviour Mnemo implements; clients read it from INFO and HELLO to
// decide which commands they may send.
inline constexpr std::string_view kRedisVersion = "7.2.0";
inline constexpr std::string_view kMnemoVersion = "0.1.0";

}  // namespace mnemo::cmd
