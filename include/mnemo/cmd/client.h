// client.h: what the command layer knows about a client (layer: cmd).
#pragma once

#include <cstdint>
#include <string>

namespace mnemo::cmd {

struct Client {
  uint64_t id = 0;
  std::string name;      // CLIENT SETNAME
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  int db = 0;            // SELECT
  bool authenticated = true;
  bool close_after_reply = false;     // QUIT, CLIENT KILL of itself, protocol errors
  bool no_evict = false;              // CLIENT NO-EVICT
  std::string last_command = "NULL";  // CLIENT LIST cmd=
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
};

}  // namespace mnemo::cmd
