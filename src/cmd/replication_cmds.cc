// replication_cmds.cc: the commands of replication; for now WAIT (layer: cmd).
//
// There are no replicas yet (replication comes later): WAIT counts 0 acknowledgements, and a
// WAIT for more than that blocks until its timeout, as in Redis. Replica acknowledgements plug
// in at ReplicasAcknowledged below, and will wake waiting clients through the blocking registry.
#include <cstdint>
#include <string_view>

#include "mnemo/base/clock.h"

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
// When fewer than `numreplicas` did, the client blocks (cmd/blocking.h, without keys) until
// `timeout` milliseconds pass (0: for ever) or CLIENT UNBLOCK, then answers the count of that
// moment: its command runs once more with blocked.timed_out set. Where it may not block (inside
// EXEC), it answers at once, as Redis does.
void WaitCommand(Context& ctx) {
  auto numreplicas = IntArg(ctx, ctx.arg(1));
  if (!numreplicas) return;
  auto timeout = IntArg(ctx, ctx.arg(2), protocol::kErrTimeoutNotInteger);
  if (!timeout) return;
  if (*timeout < 0) {
    ctx.reply.Error(protocol::kErrTimeoutNegative);
    return;
  }
  const int64_t now = UnixTimeMs();
  if (*timeout > INT64_MAX - now) {
    ctx.reply.Error(protocol::kErrTimeoutOutOfRange);
    return;
  }
  const int64_t acked = ReplicasAcknowledged(ctx);
  if (acked >= *numreplicas || ctx.client.blocked.timed_out || !ctx.client.CanBlock()) {
    ctx.reply.Integer(acked);
    return;
  }
  ctx.Block({}, *timeout == 0 ? 0 : now + *timeout, TimeoutReply::kRerun);
}

constexpr CommandSpec kReplicationCommands[] = {
    {"wait", WaitCommand, 3, kNoScript, 0, 0, 0, "generic",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "3.0.0", "O(1)", kNoSubcommands, kAclConnection},
};

}  // namespace

std::span<const CommandSpec> ReplicationCommands() { return kReplicationCommands; }

}  // namespace mnemo::cmd
