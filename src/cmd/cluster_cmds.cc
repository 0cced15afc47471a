// cluster_cmds.cc: CLUSTER, READONLY, READWRITE, ASKING and the cross-slot rule (layer: cmd).
//
// See cluster.h: with cluster-enabled, one node owning slots 0-16383. The replies follow Redis
// 7.0.15 in cluster mode with every slot assigned to itself (compared side by side in
// tests/integration/python/test_cluster.py).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "mnemo/base/crc16.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/client.h"
#include "mnemo/cmd/cluster.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/db/db.h"

namespace mnemo::cmd {

std::string ClusterNode::NodesLine() const {
  // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state>
  // <slot>...
  return fmt::format("{} {}:{}@{} myself,master - 0 0 0 connected 0-{}", id, ip, port, bus_port,
                     kClusterSlots - 1);
}

std::string ClusterNode::InfoText() {
  return fmt::format(
      "cluster_state:ok\r\n"
      "cluster_slots_assigned:{0}\r\n"
      "cluster_slots_ok:{0}\r\n"
      "cluster_slots_pfail:0\r\n"
      "cluster_slots_fail:0\r\n"
      "cluster_known_nodes:1\r\n"
      "cluster_size:1\r\n"
      "cluster_current_epoch:0\r\n"
      "cluster_my_epoch:0\r\n"
      "cluster_stats_messages_sent:0\r\n"
      "cluster_stats_messages_received:0\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\n",
      kClusterSlots);
}

std::string ClusterNode::ConfigText() const {
  return NodesLine() + "\nvars currentEpoch 0 lastVoteEpoch 0\n";
}

namespace {

// The slot every key of one request hashes to: -1 while none was seen; false at a second slot.
bool SameSlot(std::string_view key, int* slot) {
  const int s = KeyHashSlot(key);
  if (*slot == -1) *slot = s;
  return *slot == s;
}

bool RequestInSlot(const CommandSpec& spec, std::span<const std::string_view> argv, int* slot) {
  if (spec.keys.not_key) {
    // Shard channels (SSUBSCRIBE, SPUBLISH) route by slot as keys do.
    const int last = spec.last_key < 0 ? static_cast<int>(argv.size()) + spec.last_key
                                       : std::min<int>(spec.last_key, argv.size() - 1);
    for (int i = spec.first_key; i > 0 && i <= last; i += std::max(spec.key_step, 1)) {
      if (!SameSlot(argv[static_cast<size_t>(i)], slot)) return false;
    }
    return true;
  }
  if (!CommandHasKeys(spec)) return true;
  std::vector<KeyRef> keys;
  if (!CommandKeys(spec, argv, keys)) return true;  // the command reports its own error
  for (const KeyRef& k : keys) {
    if (!SameSlot(argv[k.pos], slot)) return false;
  }
  return true;
}

}  // namespace

bool KeysInOneSlot(Dispatcher& d, const Client& client, const CommandSpec& spec,
                   std::span<const std::string_view> argv) {
  int slot = -1;
  if (!(spec.flags & kExec)) return RequestInSlot(spec, argv, &slot);
  if (!client.multi.active) return true;
  size_t at = 0;
  std::vector<std::string_view> queued;
  for (const uint32_t n : client.multi.argc) {
    queued.assign(client.multi.args.begin() + static_cast<std::ptrdiff_t>(at),
                  client.multi.args.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
    const Dispatcher::Entry* e = d.LookupForScript(queued);
    if (e != nullptr && !RequestInSlot(*e->spec, queued, &slot)) return false;
  }
  return true;
}

namespace {

// Every CLUSTER subcommand, READONLY, READWRITE and ASKING: "cluster support disabled" unless
// cluster-enabled.
bool Enabled(Context& ctx) {
  if (ctx.dispatcher.cluster().enabled) return true;
  ctx.reply.Error(kErrClusterDisabled);
  return false;
}

void ClusterInfoCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.Verbatim(ClusterNode::InfoText());
}

void ClusterMyidCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.Bulk(ctx.dispatcher.cluster().id);
}

void ClusterNodesCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.Verbatim(ctx.dispatcher.cluster().NodesLine() + "\n");
}

// The node as CLUSTER SLOTS lists it: ip, port, id and a map of extra endpoints (none).
void NodeEntry(Context& ctx, const ClusterNode& n) {
  ctx.reply.ArrayHeader(4);
  ctx.reply.Bulk(n.ip);
  ctx.reply.Integer(n.port);
  ctx.reply.Bulk(n.id);
  ctx.reply.MapHeader(0);
}

void ClusterSlotsCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.ArrayHeader(1);
  ctx.reply.ArrayHeader(3);
  ctx.reply.Integer(0);
  ctx.reply.Integer(kClusterSlots - 1);
  NodeEntry(ctx, ctx.dispatcher.cluster());
}

void ClusterShardsCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  const ClusterNode& n = ctx.dispatcher.cluster();
  protocol::ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(1);
  r.MapHeader(2);
  r.Bulk("slots");
  r.ArrayHeader(2);
  r.Integer(0);
  r.Integer(kClusterSlots - 1);
  r.Bulk("nodes");
  r.ArrayHeader(1);
  r.MapHeader(7);
  r.Bulk("id");
  r.Bulk(n.id);
  r.Bulk("port");
  r.Integer(n.port);
  r.Bulk("ip");
  r.Bulk(n.ip);
  r.Bulk("endpoint");
  r.Bulk(n.ip);
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("replication-offset");
  r.Integer(n.repl_offset ? n.repl_offset() : 0);
  r.Bulk("health");
  r.Bulk("online");
}

void ClusterKeyslotCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.Integer(KeyHashSlot(ctx.arg(2)));
}

void ClusterCountkeysinslotCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  auto slot = IntArg(ctx, ctx.arg(2));
  if (!slot) return;
  if (*slot < 0 || *slot >= kClusterSlots) {
    ctx.reply.Error("ERR Invalid slot");
    return;
  }
  ctx.reply.Integer(ctx.keyspace.db(0).KeysInSlot(static_cast<int>(*slot)));
}

// GETKEYSINSLOT walks database 0 until it has found min(count, keys in the slot) keys: the
// per-slot count says when to stop, but keys of one slot are not linked together (Redis keeps
// a list per slot at 16 bytes per key), so the walk can cover the whole table. It is a
// resharding tool, not a request path.
void ClusterGetkeysinslotCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  auto slot = IntArg(ctx, ctx.arg(2));
  if (!slot) return;
  auto count = IntArg(ctx, ctx.arg(3));
  if (!count) return;
  if (*slot < 0 || *slot >= kClusterSlots || *count < 0) {
    ctx.reply.Error("ERR Invalid slot or number of keys");
    return;
  }
  db::Db& db = ctx.keyspace.db(0);
  const size_t want = std::min<size_t>(static_cast<size_t>(*count),
                                       db.KeysInSlot(static_cast<int>(*slot)));
  std::vector<std::string> keys;
  keys.reserve(want);
  uint64_t cursor = 0;
  do {
    cursor = db.keys().Scan(cursor, [&](const db::Object* o) {
      if (keys.size() < want && KeyHashSlot(o->key()) == *slot) keys.emplace_back(o->key());
    });
  } while (cursor != 0 && keys.size() < want);
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

void ClusterLinksCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.EmptyArray();  // no other node, no link
}

void ClusterSaveconfigCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  if (Status s = ctx.server.SaveClusterConfig(); !s.ok()) {
    ctx.reply.Error("ERR error saving the cluster node config: " + s.message());
    return;
  }
  ctx.reply.Ok();
}

// COUNT-FAILURE-REPORTS, REPLICAS, SLAVES <node-id>: only this node is known.
void ClusterOtherNodeCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  if (ctx.arg(2) != ctx.dispatcher.cluster().id) {
    ctx.reply.Error(fmt::format("ERR Unknown node {}", ctx.arg(2)));
    return;
  }
  if (ToLower(ctx.arg(1)) == "count-failure-reports") {
    ctx.reply.Integer(0);
  } else {
    ctx.reply.EmptyArray();  // no replica
  }
}

void ClusterHelpCommand(Context& ctx) {
  if (!Enabled(ctx)) return;  // as Redis: even HELP
  static constexpr std::string_view kLines[] = {
      "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "COUNT-FAILURE-REPORTS <node-id>",
      "    Return number of failure reports for <node-id>.",
      "COUNTKEYSINSLOT <slot>",
      "    Return the number of keys in <slot>.",
      "GETKEYSINSLOT <slot> <count>",
      "    Return key names stored by current node in a slot.",
      "INFO",
      "    Return information about the cluster.",
      "KEYSLOT <key>",
      "    Return the hash slot for <key>.",
      "LINKS",
      "    Return information about all network links between this node and its peers.",
      "    Output format is an array where each array element is a map containing attributes of a "
      "link",
      "MYID",
      "    Return the node id.",
      "NODES",
      "    Return cluster configuration seen by node. Output format:",
      "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
      "REPLICAS <node-id>",
      "    Return <node-id> replicas.",
      "SAVECONFIG",
      "    Force saving cluster configuration on disk.",
      "SLOTS",
      "    Return information about slots range mappings. Each range is made of:",
      "    start, end, master and replicas IP addresses, ports and ids",
      "SHARDS",
      "    Return information about slot range mappings and the nodes associated with them.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

// READONLY / READWRITE: reads from replicas of the slot (every node serves its own reads here).
void ReadonlyCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.client.cluster_readonly = true;
  ctx.reply.Ok();
}

void ReadwriteCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.client.cluster_readonly = false;
  ctx.reply.Ok();
}

void AskingCommand(Context& ctx) {
  if (!Enabled(ctx)) return;
  ctx.reply.Ok();  // no slot is ever migrating here
}

constexpr uint32_t kAdminAcl = kAclAdmin | kAclDangerous;

constexpr CommandSpec kClusterSubcommands[] = {
    {"info", ClusterInfoCommand, 2, kStale, 0, 0, 0, "cluster",
     "Returns information about the state of a node.", "3.0.0", "O(1)"},
    {"myid", ClusterMyidCommand, 2, kStale, 0, 0, 0, "cluster", "Returns the ID of a node.",
     "3.0.0", "O(1)"},
    {"nodes", ClusterNodesCommand, 2, kStale, 0, 0, 0, "cluster",
     "Returns the cluster configuration for a node.", "3.0.0", "O(N) where N is the total number "
     "of Cluster nodes"},
    {"slots", ClusterSlotsCommand, 2, kStale, 0, 0, 0, "cluster",
     "Returns the mapping of cluster slots to nodes.", "3.0.0",
     "O(N) where N is the total number of Cluster nodes"},
    {"shards", ClusterShardsCommand, 2, kStale, 0, 0, 0, "cluster",
     "Returns the mapping of cluster slots to shards.", "7.0.0",
     "O(N) where N is the total number of cluster nodes"},
    {"keyslot", ClusterKeyslotCommand, 3, kStale, 0, 0, 0, "cluster",
     "Returns the hash slot for a key.", "3.0.0", "O(N) where N is the number of bytes in the key"},
    {"countkeysinslot", ClusterCountkeysinslotCommand, 3, kStale, 0, 0, 0, "cluster",
     "Returns the number of keys in a hash slot.", "3.0.0", "O(1)"},
    {"getkeysinslot", ClusterGetkeysinslotCommand, 4, kStale, 0, 0, 0, "cluster",
     "Returns the key names in a hash slot.", "3.0.0",
     "O(N) where N is the number of keys in the database (Redis: the number of requested keys)"},
    {"links", ClusterLinksCommand, 2, kStale, 0, 0, 0, "cluster",
     "Returns a list of all TCP links to and from peer nodes.", "7.0.0",
     "O(N) where N is the total number of Cluster nodes"},
    {"saveconfig", ClusterSaveconfigCommand, 2, kAdmin | kStale, 0, 0, 0, "cluster",
     "Forces a node to save the cluster configuration to disk.", "3.0.0", "O(1)", kNoSubcommands,
     kAdminAcl},
    {"count-failure-reports", ClusterOtherNodeCommand, 3, kAdmin | kStale, 0, 0, 0, "cluster",
     "Returns the number of active failure reports active for a node.", "3.0.0",
     "O(N) where N is the number of failure reports", kNoSubcommands, kAdminAcl},
    {"replicas", ClusterOtherNodeCommand, 3, kAdmin | kStale, 0, 0, 0, "cluster",
     "Lists the replica nodes of a master node.", "5.0.0", "O(1)", kNoSubcommands, kAdminAcl},
    {"slaves", ClusterOtherNodeCommand, 3, kAdmin | kStale, 0, 0, 0, "cluster",
     "Lists the replica nodes of a master node.", "3.0.0", "O(1)", kNoSubcommands, kAdminAcl},
    {"help", ClusterHelpCommand, 2, kLoading | kStale, 0, 0, 0, "cluster",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"},
};

constexpr CommandSpec kClusterCommands[] = {
    {"cluster", nullptr, -2, 0, 0, 0, 0, "cluster", "A container for Redis Cluster commands.",
     "3.0.0", "Depends on subcommand.", kClusterSubcommands},
    {"readonly", ReadonlyCommand, 1, kLoading | kStale | kFast, 0, 0, 0, "cluster",
     "Enables read-only queries for a connection to a Redis Cluster replica node.", "3.0.0",
     "O(1)", kNoSubcommands, kAclConnection},
    {"readwrite", ReadwriteCommand, 1, kLoading | kStale | kFast, 0, 0, 0, "cluster",
     "Disables read-only queries on a connection to a cluster replica node.", "3.0.0",
     "O(1)", kNoSubcommands, kAclConnection},
    {"asking", AskingCommand, 1, kFast, 0, 0, 0, "cluster",
     "Signals that a cluster client is following an -ASK redirect.", "3.0.0", "O(1)",
     kNoSubcommands, kAclConnection},
};

}  // namespace

std::span<const CommandSpec> ClusterCommands() { return kClusterCommands; }

}  // namespace mnemo::cmd
