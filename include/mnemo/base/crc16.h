// crc16.h: CRC-16/XMODEM and Redis Cluster's key hash slot (layer: base).
//
// Redis Cluster maps a key to one of 16384 slots with CRC16 (the XMODEM variant: polynomial
// 0x1021, initial value 0, no reflection) of the key, or of its hash tag: the bytes between the
// first '{' and the first '}' after it, when there is at least one byte between them. Clients
// (redis-py's RedisCluster, redis-cli -c) compute the same function to route requests, so it
// must agree bit for bit (the check value of "123456789" is 0x31C3).
#pragma once

#include <cstdint>
#include <string_view>

namespace mnemo {

inline constexpr int kClusterSlots = 16384;

uint16_t Crc16(std::string_view bytes);

// The cluster slot of `key` (0..16383), honouring hash tags as Redis keyHashSlot does.
int KeyHashSlot(std::string_view key);

}  // namespace mnemo
