// geo_cmds.cc: stub (layer: cmd).
#include "mnemo/cmd/command.h"
namespace mnemo::cmd {
std::span<const CommandSpec> GeoCommands() { return {}; }
}  // namespace mnemo::cmd
