// cluster.h: cluster mode as one node that owns every slot (layer: cmd).
//
// Clients that only speak Redis Cluster (redis-py's RedisCluster, redis-cli -c, cluster-aware
// drivers) need a server that answers CLUSTER SLOTS/SHARDS/NODES and routes by hash slot. With
// `cluster-enabled yes` Mnemo is such a cluster of one node: it owns slots 0-16383, so no
// request is ever redirected (-MOVED/-ASK never happen), and it enforces what a real cluster
// would: -CROSSSLOT for a request (or a MULTI queue, at EXEC) whose keys are in different
// slots, database 0 only (SELECT, SWAPDB, MOVE and COPY ... DB refused with Redis's texts).
// There is no cluster bus: nothing listens on the bus port that CLUSTER NODES announces, and
// commands that change the topology (MEET, ADDSLOTS, SETSLOT, FAILOVER, ...) are unknown
// subcommands. Sharding across servers is done by a proxy (twemproxy) or by replication plus
// Sentinel, as docs/scaling.md shows.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace mnemo::cmd {

class Dispatcher;
struct Client;
struct CommandSpec;

inline constexpr std::string_view kErrCrossSlot =
    "CROSSSLOT Keys in request don't hash to the same slot";
inline constexpr std::string_view kErrClusterDisabled =
    "ERR This instance has cluster support disabled";

struct ClusterNode {
  bool enabled = false;
  std::string id;           // 40 lower-case hex characters, kept in the nodes file
  std::string ip;           // cluster-announce-ip; "" (as Redis before it learns its address)
  int port = 0;             // the client port announced
  int bus_port = 0;         // the bus port announced (nothing listens there)
  // CLUSTER SHARDS replication-offset: the server's master_repl_offset, read when asked.
  std::function<int64_t()> repl_offset;

  // The node's line of CLUSTER NODES and of the nodes file, without the newline.
  std::string NodesLine() const;
  // CLUSTER INFO's text.
  static std::string InfoText();
  // The nodes file's text (Redis clusterGenNodesDescription + the vars line).
  std::string ConfigText() const;
};

// Whether every key of the request (shard channels too) hashes to one slot. For EXEC, the
// queued commands of the client's transaction are looked at together, as Redis
// getNodeByQuery does.
bool KeysInOneSlot(Dispatcher& d, const Client& client, const CommandSpec& spec,
                   std::span<const std::string_view> argv);

}  // namespace mnemo::cmd
