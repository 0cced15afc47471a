// repl_backlog_test.cc: the replication backlog ring: offsets, wrap-around, what a replica at a
// given offset can continue with, resizing (layer: server).
#include "mnemo/server/repl_backlog.h"

#include <gtest/gtest.h>

#include <string>

#include "mnemo/base/random.h"

namespace mnemo::server {
namespace {

TEST(ReplBacklog, NewBacklogIsEmpty) {
  ReplBacklog b(16, 0);
  EXPECT_EQ(b.offset(), 0);
  EXPECT_EQ(b.histlen(), 0);
  EXPECT_EQ(b.first_byte_offset(), 1);
  EXPECT_TRUE(b.CanContinueFrom(0));
  EXPECT_EQ(b.CopyFrom(0), "");
  EXPECT_FALSE(b.CanContinueFrom(1));
  EXPECT_FALSE(b.CanContinueFrom(-1));
}

TEST(ReplBacklog, StartsAtAGivenOffset) {
  ReplBacklog b(16, 1000);
  EXPECT_TRUE(b.CanContinueFrom(1000));
  EXPECT_FALSE(b.CanContinueFrom(999));
  b.Append("abc");
  EXPECT_EQ(b.offset(), 1003);
  EXPECT_EQ(b.first_byte_offset(), 1001);
  EXPECT_TRUE(b.CanContinueFrom(1000));
  EXPECT_EQ(b.CopyFrom(1000), "abc");
  EXPECT_EQ(b.CopyFrom(1002), "c");
  EXPECT_FALSE(b.CanContinueFrom(999));
  EXPECT_FALSE(b.CanContinueFrom(1004));
}

TEST(ReplBacklog, WrapsAroundKeepingTheNewestBytes) {
  ReplBacklog b(8, 0);
  b.Append("0123456");
  b.Append("789ab");  // 12 bytes in an 8-byte ring: "456789ab" remain
  EXPECT_EQ(b.offset(), 12);
  EXPECT_EQ(b.histlen(), 8);
  EXPECT_EQ(b.first_byte_offset(), 5);
  EXPECT_FALSE(b.CanContinueFrom(3));
  EXPECT_TRUE(b.CanContinueFrom(4));
  EXPECT_EQ(b.CopyFrom(4), "456789ab");
  EXPECT_EQ(b.CopyFrom(9), "9ab");
}

TEST(ReplBacklog, AppendLargerThanTheRing) {
  ReplBacklog b(4, 0);
  b.Append("x");
  b.Append("abcdefgh");
  EXPECT_EQ(b.offset(), 9);
  EXPECT_EQ(b.histlen(), 4);
  EXPECT_EQ(b.CopyFrom(5), "efgh");
  b.Append("ij");
  EXPECT_EQ(b.CopyFrom(7), "ghij");
}

TEST(ReplBacklog, ResizeKeepsTheNewest) {
  ReplBacklog b(8, 0);
  b.Append("abcdefgh");
  b.Resize(3);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.histlen(), 3);
  EXPECT_EQ(b.CopyFrom(5), "fgh");
  EXPECT_FALSE(b.CanContinueFrom(4));
  b.Resize(10);
  EXPECT_EQ(b.CopyFrom(5), "fgh");
  b.Append("ijklm");
  EXPECT_EQ(b.CopyFrom(5), "fghijklm");
}

// Against a plain string model under random appends and resizes.
TEST(ReplBacklog, MatchesAModel) {
  std::string all;
  ReplBacklog b(37, 0);
  size_t cap = 37;
  for (int round = 0; round < 2000; ++round) {
    if (RandomU64() % 50 == 0) {
      cap = 1 + RandomU64() % 64;
      b.Resize(cap);
      // What the model keeps: the newest min(cap, held) bytes.
    }
    std::string chunk;
    const size_t n = RandomU64() % 20;
    for (size_t i = 0; i < n; ++i) chunk.push_back(static_cast<char>('a' + RandomU64() % 26));
    all += chunk;
    b.Append(chunk);
    ASSERT_EQ(b.offset(), static_cast<int64_t>(all.size()));
    ASSERT_LE(b.histlen(), static_cast<int64_t>(cap));
    const int64_t from = b.first_byte_offset() - 1;
    ASSERT_TRUE(b.CanContinueFrom(from));
    ASSERT_EQ(b.CopyFrom(from), all.substr(static_cast<size_t>(from)));
    if (from > 0) {
      ASSERT_FALSE(b.CanContinueFrom(from - 1));
    }
  }
}

}  // namespace
}  // namespace mnemo::server
