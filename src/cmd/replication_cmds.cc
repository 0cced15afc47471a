// replication_cmds.cc: the commands of replication: WAIT, REPLCONF, PSYNC, SYNC, REPLICAOF,
// SLAVEOF, ROLE (layer: cmd). The server does the work (server/replication.cc) behind ServerApi.
#include <cstdint>
#include <string_view>

#include "mnemo/base/clock.h"

#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/server_api.h"

namespace mnemo::cmd {

// A server without replication (in-process tests): the commands answer as a primary with no
// replicas would, or refuse.
void ServerApi::Replconf(Client& self, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply) {
  (void)self;
  (void)argv;
  reply.Ok();
}
void ServerApi::Psync(Client& self, std::span<const std::string_view> argv,
                      protocol::ReplyBuilder& reply) {
  (void)self;
  (void)argv;
  reply.Error("ERR replication is not available");
}
void ServerApi::ReplicaOf(Client& self, std::span<const std::string_view> argv,
                          protocol::ReplyBuilder& reply) {
  (void)self;
  (void)argv;
  reply.Error("ERR replication is not available");
}
void ServerApi::Role(protocol::ReplyBuilder& reply) {
  reply.ArrayHeader(3);
  reply.Bulk("master");
  reply.Integer(0);
  reply.EmptyArray();
}

namespace {

// WAIT numreplicas timeout: the number of replicas that acknowledged the client's writes
// (every byte of the replication stream up to its last write, Client::woff). When fewer than
// `numreplicas` did, the client blocks (cmd/blocking.h, without keys) until enough ACKs arrive
// (the server unblocks it), `timeout` milliseconds pass (0: for ever) or CLIENT UNBLOCK, then
// answers the count of that moment: its command runs once more with blocked.timed_out set.
// Where it may not block (inside EXEC), it answers at once, as Redis does.
void WaitCommand(Context& ctx) {
  if (ctx.server.IsReplica()) {
    ctx.reply.Error("ERR WAIT cannot be used with replica instances. Please also note that since "
                    "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                    "writes to replicas are just local and are not propagated.");
    return;
  }
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
  const int64_t acked = ctx.server.ReplicasAcknowledged(ctx.client.woff);
  if (acked >= *numreplicas || ctx.client.blocked.timed_out || !ctx.client.CanBlock()) {
    ctx.reply.Integer(acked);
    return;
  }
  ctx.Block({}, *timeout == 0 ? 0 : now + *timeout, TimeoutReply::kRerun);
  ctx.server.RequestReplicaAcks();
}

void ReplconfCommand(Context& ctx) { ctx.server.Replconf(ctx.client, ctx.argv, ctx.reply); }

void PsyncCommand(Context& ctx) { ctx.server.Psync(ctx.client, ctx.argv, ctx.reply); }

void ReplicaofCommand(Context& ctx) { ctx.server.ReplicaOf(ctx.client, ctx.argv, ctx.reply); }

void RoleCommand(Context& ctx) { ctx.server.Role(ctx.reply); }

constexpr CommandSpec kReplicationCommands[] = {
    {"wait", WaitCommand, 3, kNoScript, 0, 0, 0, "generic",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "3.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"replconf", ReplconfCommand, -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy, 0, 0, 0,
     "server", "An internal command for configuring the replication stream.", "3.0.0", "O(1)",
     kNoSubcommands, 0, kNoKeys},
    {"psync", PsyncCommand, -3, kAdmin | kNoScript | kNoMulti, 0, 0, 0, "server",
     "An internal command used in replication.", "2.8.0", "undefined", kNoSubcommands, 0,
     kNoKeys},
    {"sync", PsyncCommand, 1, kAdmin | kNoScript | kNoMulti, 0, 0, 0, "server",
     "An internal command used in replication.", "1.0.0", "undefined", kNoSubcommands, 0,
     kNoKeys},
    {"replicaof", ReplicaofCommand, 3, kAdmin | kNoScript | kStale, 0, 0, 0, "server",
     "Configures a server as replica of another, or promotes it to a master.", "5.0.0", "O(1)",
     kNoSubcommands, 0, kNoKeys},
    {"slaveof", ReplicaofCommand, 3, kAdmin | kNoScript | kStale, 0, 0, 0, "server",
     "Sets a Redis server as a replica of another, or promotes it to being a master.", "1.0.0",
     "O(1)", kNoSubcommands, 0, kNoKeys},
    {"role", RoleCommand, 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0, "server",
     "Returns the replication role.", "2.8.12", "O(1)", kNoSubcommands, kAclAdmin | kAclDangerous,
     kNoKeys},
};

}  // namespace

std::span<const CommandSpec> ReplicationCommands() { return kReplicationCommands; }

}  // namespace mnemo::cmd
