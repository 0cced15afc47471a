// sort_cmds.cc: stub (layer: cmd).
#include "mnemo/cmd/command.h"
namespace mnemo::cmd {
std::span<const CommandSpec> SortCommands() { return {}; }
}  // namespace mnemo::cmd
