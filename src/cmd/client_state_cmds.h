// client_state_cmds.h: handlers of RESET and the CLIENT subcommands that change how a connection
// behaves (layer: cmd, private to src/cmd). Their rows are in connection_cmds.cc.
#pragma once

#include "mnemo/cmd/command.h"

namespace mnemo::cmd {

void ClientUnblockCommand(Context& ctx);
void ClientPauseCommand(Context& ctx);
void ClientUnpauseCommand(Context& ctx);
void ClientReplyCommand(Context& ctx);
void ClientNoTouchCommand(Context& ctx);
void ClientTrackingCommand(Context& ctx);
void ClientCachingCommand(Context& ctx);
void ClientGetredirCommand(Context& ctx);
void ClientTrackinginfoCommand(Context& ctx);
void ResetCommand(Context& ctx);

}  // namespace mnemo::cmd
