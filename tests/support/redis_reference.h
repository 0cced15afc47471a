// redis_reference.h: facts about Redis 7.0.15's replies that several tests compare with
// (tests/support). Taken from a real redis-server 7.0.15.
#pragma once

#include <string>
#include <vector>

namespace mnemo::test {

// INFO memory's fields, in Redis 7.0.15's order.
inline const std::vector<std::string> kRedisInfoMemoryFields = {
    "used_memory",
    "used_memory_human",
    "used_memory_rss",
    "used_memory_rss_human",
    "used_memory_peak",
    "used_memory_peak_human",
    "used_memory_peak_perc",
    "used_memory_overhead",
    "used_memory_startup",
    "used_memory_dataset",
    "used_memory_dataset_perc",
    "allocator_allocated",
    "allocator_active",
    "allocator_resident",
    "total_system_memory",
    "total_system_memory_human",
    "used_memory_lua",
    "used_memory_vm_eval",
    "used_memory_lua_human",
    "used_memory_scripts_eval",
    "number_of_cached_scripts",
    "number_of_functions",
    "number_of_libraries",
    "used_memory_vm_functions",
    "used_memory_vm_total",
    "used_memory_vm_total_human",
    "used_memory_functions",
    "used_memory_scripts",
    "used_memory_scripts_human",
    "maxmemory",
    "maxmemory_human",
    "maxmemory_policy",
    "allocator_frag_ratio",
    "allocator_frag_bytes",
    "allocator_rss_ratio",
    "allocator_rss_bytes",
    "rss_overhead_ratio",
    "rss_overhead_bytes",
    "mem_fragmentation_ratio",
    "mem_fragmentation_bytes",
    "mem_not_counted_for_evict",
    "mem_replication_backlog",
    "mem_total_replication_buffers",
    "mem_clients_slaves",
    "mem_clients_normal",
    "mem_cluster_links",
    "mem_aof_buffer",
    "mem_allocator",
    "active_defrag_running",
    "lazyfree_pending_objects",
    "lazyfreed_objects",
};

}  // namespace mnemo::test
