// replication_cmds.cc: the commands of replication; for now WAIT (layer: cmd).
//
// There are no replicas yet (replication comes later), so WAIT answers 0 at once. The place
// where replica acknowledgements plug in is ReplicasAcknowledged below.
#include <string_view>

#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"

namespace mnemo::cmd {

namespace {

// How many replicas have acknowledged every write this client made (Redis
// replicationCountAcksByOffset(c->woff)). With replication, it counts the replicas whose
// REPLCONF ACK offset reached the client's last write offset.
int64_t ReplicasAcknowledged(const Context& ctx) {
  (void)ctx;
  return 0;  // no replicas
}

// WAIT numreplicas timeout: the number of replicas that acknowledged the client's writes.
// Redis blocks the client until `numreplicas` acknowledge them or `timeout` ms pass (0: for
// ever), and answers at once inside MULTI or a script. With replication, a client that may
// block (ctx.CanBlock()) and has too few acknowledgements waits here, woken by each REPLCONF
// ACK and by its deadline. Without replicas nothing can acknowledge, so Mnemo answers the
// count (0) at once instead of waiting out the timeout (Redis waits, and waits for ever when
// the timeout is 0).
void WaitCommand(Context& ctx) {
  auto numreplicas = IntArg(ctx, ctx.arg(1));
  if (!numreplicas) return;
  auto timeout = IntArg(ctx, ctx.arg(2), protocol::kErrTimeoutNotInteger);
  if (!timeout) return;
  if (*timeout < 0) {
    ctx.reply.Error(protocol::kErrTimeoutNegative);
    return;
  }
  ctx.reply.Integer(ReplicasAcknowledged(ctx));
}

constexpr CommandSpec kReplicationCommands[] = {
    {"wait", WaitCommand, 3, kNoScript, 0, 0, 0, "generic",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "3.0.0", "O(1)"},
};

}  // namespace

std::span<const CommandSpec> ReplicationCommands() { return kReplicationCommands; }

}  // namespace mnemo::cmd
