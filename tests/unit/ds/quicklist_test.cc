// quicklist_test.cc: tests of the quicklist (layer: ds): a seeded random workload against a
// std::deque for several fills and compress depths, node fill limits, LZF compression of interior
// nodes (really compressed, memory drops, contents unchanged), plain nodes, and exact memory
// accounting through mem::.
#include "mnemo/ds/quicklist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

using Direction = Quicklist::Direction;
using Where = Quicklist::Where;

std::vector<std::string> Contents(Quicklist& ql, Direction dir = Direction::kHeadToTail) {
  std::vector<std::string> out;
  Quicklist::Iterator it = ql.Iterate(dir);
  while (it.Next()) out.push_back(it.value().ToString());
  if (dir == Direction::kTailToHead) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> Vec(const std::deque<std::string>& d) { return {d.begin(), d.end()}; }

// Restores the process-wide packed threshold when a test ends.
class ThresholdGuard {
 public:
  explicit ThresholdGuard(size_t bytes) { EXPECT_TRUE(Quicklist::SetPackedThreshold(bytes)); }
  ~ThresholdGuard() { Quicklist::SetPackedThreshold(0); }
};

std::string Compressible(size_t len, int tag) {
  std::string s = "item-" + std::to_string(tag) + "-";
  while (s.size() < len) s += "abcabcabc";
  s.resize(len);
  return s;
}

std::string Incompressible(std::mt19937_64& rng, size_t len) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(QuicklistLayout, StructSizes) {
  EXPECT_EQ(Quicklist::kNodeBytes, 32u);  // Redis's quicklistNode: 40 bytes (48 allocated)
  EXPECT_EQ(sizeof(Quicklist), 32u);      // Redis's quicklist: 40 bytes (48 allocated)
  EXPECT_EQ(mem::SizeClass(Quicklist::kNodeBytes), 32u);
}

// ---- fill ----

TEST(QuicklistFill, NegativeFillLimitsNodeBytes) {
  const std::string v = "abcdefghij";  // 12 bytes per entry: 1 + 10 + back-length 1
  for (int fill : {-1, -2, -3, -4, -5, -9}) {
    SCOPED_TRACE(fill);
    const size_t limit = size_t{4096} << (std::min(-fill, 5) - 1);
    Quicklist ql(fill, 0);
    EXPECT_EQ(ql.fill(), std::max(fill, -5));
    for (int i = 0; i < 30000; ++i) ql.PushTail(v);
    const auto nodes = ql.DescribeNodes();
    ASSERT_GT(nodes.size(), 2u);
    for (size_t i = 0; i < nodes.size(); ++i) {
      EXPECT_LE(nodes[i].raw_bytes, limit);
      // Every node but the last is full: one more entry would not have fitted.
      if (i + 1 < nodes.size()) {
        EXPECT_GT(nodes[i].raw_bytes + 12, limit);
      }
    }
    EXPECT_TRUE(ql.CheckConsistency().ok());
  }
}

TEST(QuicklistFill, PositiveFillLimitsCountAndSize) {
  {
    Quicklist ql(5, 0);
    for (int i = 0; i < 103; ++i) ql.PushHead(std::to_string(i));
    const auto nodes = ql.DescribeNodes();
    ASSERT_EQ(nodes.size(), 21u);
    EXPECT_EQ(nodes[0].count, 3u);  // the head got the last pushes
    for (size_t i = 1; i < nodes.size(); ++i) EXPECT_EQ(nodes[i].count, 5u);
  }
  {
    // 100 elements allowed, but 203-byte entries hit the 8 KiB safety limit first.
    Quicklist ql(100, 0);
    for (int i = 0; i < 1000; ++i) ql.PushTail(std::string(200, 'x'));
    for (const auto& n : ql.DescribeNodes()) {
      EXPECT_LE(n.raw_bytes, 8192u);
      EXPECT_LT(n.count, 100u);
    }
    EXPECT_EQ(ql.DescribeNodes()[0].count, (8192u - kLpEmptySize) / 203);
  }
  {
    Quicklist ql(0, 0);  // acts as 1
    for (int i = 0; i < 10; ++i) ql.PushTail("v");
    EXPECT_EQ(ql.node_count(), 10u);
  }
  {
    // An element bigger than the node limit gets a node of its own.
    Quicklist ql(-1, 0);
    ql.PushTail("a");
    ql.PushTail(std::string(10000, 'b'));
    ql.PushTail("c");
    const auto nodes = ql.DescribeNodes();
    ASSERT_EQ(nodes.size(), 3u);
    EXPECT_EQ(nodes[1].count, 1u);
    EXPECT_FALSE(nodes[1].plain);
    EXPECT_TRUE(ql.CheckConsistency().ok());
  }
}

// ---- compression ----

struct Built {
  Quicklist ql;
  std::vector<std::string> values;
};

Built BuildCompressible(int depth, int n = 6000) {
  Built b{Quicklist(-2, depth), {}};
  for (int i = 0; i < n; ++i) {
    b.values.push_back(Compressible(40 + i % 60, i));
    b.ql.PushTail(b.values.back());
  }
  return b;
}

TEST(QuicklistCompress, InteriorNodesAreCompressedAndMemoryDrops) {
  Built plain = BuildCompressible(0);
  for (const auto& n : plain.ql.DescribeNodes()) EXPECT_FALSE(n.compressed);
  for (int depth : {1, 2, 3}) {
    SCOPED_TRACE(depth);
    Built b = BuildCompressible(depth);
    const auto nodes = b.ql.DescribeNodes();
    ASSERT_GT(nodes.size(), 2u * depth + 2);
    for (size_t i = 0; i < nodes.size(); ++i) {
      const bool interior = i >= static_cast<size_t>(depth) && i + depth < nodes.size();
      EXPECT_EQ(nodes[i].compressed, interior) << i;
      if (nodes[i].compressed) {
        // Kept only because it saves more than 8 bytes; these repetitive values save far more.
        EXPECT_LT(nodes[i].stored_bytes * 3, nodes[i].raw_bytes);
      } else {
        EXPECT_EQ(nodes[i].stored_bytes, nodes[i].raw_bytes);
      }
    }
    EXPECT_LT(b.ql.AllocatedBytes() * 2, plain.ql.AllocatedBytes());
    EXPECT_EQ(Contents(b.ql), b.values);
    EXPECT_EQ(Contents(b.ql, Direction::kTailToHead), b.values);
    // Iterating decompressed each node on the way and compressed it again behind.
    EXPECT_TRUE(b.ql.CheckConsistency().ok()) << b.ql.CheckConsistency().message();
    // Index into the middle: decompress for the read, compressed again when the iterator dies.
    for (int64_t idx : {int64_t{3000}, int64_t{-2500}, int64_t{1}}) {
      Quicklist::Iterator it = b.ql.IterateFrom(idx, Direction::kHeadToTail);
      ASSERT_TRUE(it.Next());
      const size_t pos = idx < 0 ? b.values.size() + idx : static_cast<size_t>(idx);
      EXPECT_EQ(it.value().ToString(), b.values[pos]);
      EXPECT_TRUE(it.Equals(b.values[pos]));
    }
    EXPECT_TRUE(b.ql.CheckConsistency().ok()) << b.ql.CheckConsistency().message();
    EXPECT_EQ(b.ql.DescribeNodes().size(), nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      EXPECT_EQ(b.ql.DescribeNodes()[i].compressed, nodes[i].compressed);
    }
  }
}

TEST(QuicklistCompress, DepthCoveringTheWholeListCompressesNothing) {
  Quicklist ql(4, 10);                                            // 4 elements per node
  for (int i = 0; i < 80; ++i) ql.PushTail(Compressible(60, i));  // 20 nodes = 2 * depth
  for (const auto& n : ql.DescribeNodes()) EXPECT_FALSE(n.compressed);
  EXPECT_TRUE(ql.CheckConsistency().ok());
  for (int i = 0; i < 4; ++i) ql.PushHead(Compressible(60, i));  // 21 nodes: the middle one
  const auto nodes = ql.DescribeNodes();
  ASSERT_EQ(nodes.size(), 21u);
  for (size_t i = 0; i < nodes.size(); ++i) EXPECT_EQ(nodes[i].compressed, i == 10) << i;
  // Shrinking back brings the middle node within the depth again: it is decompressed.
  ASSERT_TRUE(ql.Pop(Where::kHead).has_value());
  EXPECT_EQ(ql.DeleteRange(0, 3), 3u);
  for (const auto& n : ql.DescribeNodes()) EXPECT_FALSE(n.compressed);
  EXPECT_TRUE(ql.CheckConsistency().ok()) << ql.CheckConsistency().message();
}

TEST(QuicklistCompress, SmallAndIncompressibleNodesStayRaw) {
  {
    Quicklist ql(1, 1);  // one tiny element per node: below the 48-byte minimum
    for (int i = 0; i < 50; ++i) ql.PushTail("x" + std::to_string(i));
    for (const auto& n : ql.DescribeNodes()) {
      EXPECT_LT(n.raw_bytes, 48u);
      EXPECT_FALSE(n.compressed);
    }
    EXPECT_TRUE(ql.CheckConsistency().ok());
  }
  {
    std::mt19937_64 rng(3);
    Quicklist ql(-2, 1);
    std::vector<std::string> values;
    for (int i = 0; i < 200; ++i) {
      values.push_back(Incompressible(rng, 500));
      ql.PushTail(values.back());
    }
    ASSERT_GT(ql.node_count(), 5u);
    for (const auto& n : ql.DescribeNodes()) EXPECT_FALSE(n.compressed);
    EXPECT_TRUE(ql.CheckConsistency().ok()) << ql.CheckConsistency().message();
    EXPECT_EQ(Contents(ql), values);
  }
  {
    // Exactly 48 bytes is enough to be tried (MIN_COMPRESS_BYTES): one 39-byte run per node.
    Quicklist ql(1, 1);
    for (int i = 0; i < 5; ++i) ql.PushTail(std::string(39, 'a'));  // 7 + 1 + 39 + 1 = 48
    const auto nodes = ql.DescribeNodes();
    ASSERT_EQ(nodes.size(), 5u);
    EXPECT_EQ(nodes[2].raw_bytes, 48u);
    EXPECT_TRUE(nodes[2].compressed);
    EXPECT_FALSE(nodes[0].compressed);
    EXPECT_FALSE(nodes[4].compressed);
  }
}

// ---- plain nodes ----

TEST(QuicklistPlain, LargeElementsGetPlainNodes) {
  EXPECT_FALSE(Quicklist::SetPackedThreshold(Quicklist::kMaxPlainBytes + 1));
  EXPECT_EQ(Quicklist::packed_threshold(), Quicklist::kDefaultPackedThreshold);
  ThresholdGuard guard(1000);
  EXPECT_EQ(Quicklist::packed_threshold(), 1000u);
  Quicklist ql(-2, 1);
  const std::string big1(1000, 'B'), big2(3000, 'C'), big3(1500, 'D');
  std::deque<std::string> model;
  for (int i = 0; i < 20; ++i) {
    ql.PushTail(std::to_string(i));
    model.push_back(std::to_string(i));
  }
  ql.PushTail(big1);
  model.push_back(big1);
  ql.PushHead(big2);
  model.push_front(big2);
  auto nodes = ql.DescribeNodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_TRUE(nodes[0].plain);
  EXPECT_FALSE(nodes[1].plain);
  EXPECT_TRUE(nodes[2].plain);
  EXPECT_EQ(nodes[2].raw_bytes, 1000u);
  // A big value inserted inside a packed node splits it around a plain node.
  {
    Quicklist::Iterator it = ql.IterateFrom(6, Direction::kHeadToTail);
    ASSERT_TRUE(it.Next());
    EXPECT_EQ(it.value().ToString(), "5");
    it.InsertAfter(big3);
    EXPECT_FALSE(it.Next());  // inserting ends the iteration
  }
  model.insert(model.begin() + 7, big3);
  nodes = ql.DescribeNodes();
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_TRUE(nodes[2].plain);
  EXPECT_EQ(nodes[1].count, 6u);
  EXPECT_EQ(nodes[3].count, 14u);
  EXPECT_EQ(Vec(model), Contents(ql));
  // Replace a plain element with a small one and a small one with a big one.
  ASSERT_TRUE(ql.ReplaceAtIndex(0, "small"));
  model[0] = "small";
  ASSERT_TRUE(ql.ReplaceAtIndex(-1, big2));
  model.back() = big2;
  ASSERT_TRUE(ql.ReplaceAtIndex(3, big1));
  model[3] = big1;
  ASSERT_TRUE(ql.ReplaceAtIndex(7, big2));  // plain -> plain
  model[7] = big2;
  EXPECT_EQ(Vec(model), Contents(ql));
  EXPECT_EQ(Vec(model), Contents(ql, Direction::kTailToHead));
  EXPECT_TRUE(ql.CheckConsistency().ok()) << ql.CheckConsistency().message();
  size_t plain = 0;
  for (const auto& n : ql.DescribeNodes()) plain += n.plain;
  EXPECT_EQ(plain, 3u);
  EXPECT_EQ(*ql.Pop(Where::kTail), big2);
  EXPECT_EQ(*ql.Pop(Where::kHead), "small");
}

// ---- operations ----

// MEMORY USAGE SAMPLES n: exact when n is 0 or covers the list; otherwise the raw end nodes are
// counted apart from the compressed interior, so a compressed list is not overestimated.
TEST(Quicklist, EstimateAllocatedBytesCountsTheRawEndsApart) {
  for (int depth : {0, 1, 3}) {
    Quicklist ql(-2, depth);
    for (int i = 0; i < 60000; ++i) ql.PushTail(Compressible(20, i));
    const size_t exact = ql.AllocatedBytes();
    ASSERT_GT(ql.node_count(), 2u * depth + 5) << depth;
    EXPECT_EQ(ql.EstimateAllocatedBytes(0), exact);
    EXPECT_EQ(ql.EstimateAllocatedBytes(ql.node_count()), exact);
    EXPECT_EQ(ql.EstimateAllocatedBytes(ql.node_count() - 2 * depth), exact);
    const size_t estimate = ql.EstimateAllocatedBytes(5);
    // Uniform elements: every interior node is alike, so the estimate is within a few percent.
    EXPECT_NEAR(static_cast<double>(estimate), static_cast<double>(exact), 0.05 * exact)
        << "depth " << depth;
    if (depth > 0) {
      // Averaging the first five nodes (the raw head among them) overestimates by far more.
      const double first_five =
          static_cast<double>(ql.AllocatedBytes(5)) / 5 * static_cast<double>(ql.node_count());
      EXPECT_GT(first_five, 1.1 * exact) << "depth " << depth;
    }
  }
}

TEST(Quicklist, EmptyListAndRanges) {
  Quicklist ql;
  EXPECT_EQ(ql.fill(), -2);
  EXPECT_EQ(ql.compress_depth(), 0);
  EXPECT_FALSE(ql.Pop(Where::kHead).has_value());
  EXPECT_FALSE(ql.ReplaceAtIndex(0, "x"));
  EXPECT_EQ(ql.DeleteRange(0, 10), 0u);
  EXPECT_FALSE(ql.IterateFrom(0, Direction::kHeadToTail).Next());
  EXPECT_FALSE(ql.Iterate(Direction::kTailToHead).Next());
  EXPECT_EQ(ql.AllocatedBytes(), 0u);
  for (int i = 0; i < 10; ++i) ql.PushTail(std::to_string(i));
  EXPECT_FALSE(ql.ReplaceAtIndex(10, "x"));
  EXPECT_FALSE(ql.ReplaceAtIndex(-11, "x"));
  EXPECT_FALSE(ql.ReplaceAtIndex(INT64_MIN, "x"));
  EXPECT_EQ(ql.DeleteRange(10, 1), 0u);
  EXPECT_EQ(ql.DeleteRange(-11, 1), 0u);
  EXPECT_EQ(ql.DeleteRange(INT64_MIN, 1), 0u);
  EXPECT_EQ(ql.DeleteRange(-3, 100), 3u);  // to the tail only
  EXPECT_EQ(Contents(ql), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(ql.DeleteRange(1, 2), 2u);
  EXPECT_EQ(Contents(ql), (std::vector<std::string>{"0", "3", "4", "5", "6"}));
  EXPECT_EQ(ql.DeleteRange(0, SIZE_MAX), 5u);
  EXPECT_TRUE(ql.empty());
  EXPECT_EQ(ql.node_count(), 0u);
  EXPECT_EQ(ql.AllocatedBytes(), 0u);
}

TEST(Quicklist, IteratorDeletesInBothDirections) {
  for (Direction dir : {Direction::kHeadToTail, Direction::kTailToHead}) {
    for (int depth : {0, 1}) {
      Quicklist ql(3, depth);  // small nodes, so deletion empties many of them
      std::vector<std::string> expected;
      for (int i = 0; i < 100; ++i) {
        const std::string v = Compressible(50, i % 3 == 0 ? -1 : i);
        ql.PushTail(v);
        if (i % 3 != 0) expected.push_back(v);
      }
      const std::string victim = Compressible(50, -1);
      Quicklist::Iterator it = ql.Iterate(dir);
      size_t seen = 0, deleted = 0;
      while (it.Next()) {
        ++seen;
        if (it.Equals(victim)) {
          it.DeleteCurrent();
          ++deleted;
        }
      }
      EXPECT_EQ(seen, 100u);
      EXPECT_EQ(deleted, 34u);
      EXPECT_EQ(Contents(ql), expected);
      EXPECT_TRUE(ql.CheckConsistency().ok()) << ql.CheckConsistency().message();
      Quicklist::Iterator all = ql.Iterate(dir);
      while (all.Next()) all.DeleteCurrent();
      EXPECT_TRUE(ql.empty());
      EXPECT_EQ(ql.node_count(), 0u);
    }
  }
}

TEST(Quicklist, DuplicateAndMove) {
  Built b = BuildCompressible(1, 3000);
  Quicklist copy = b.ql.Duplicate();
  EXPECT_EQ(copy.fill(), b.ql.fill());
  EXPECT_EQ(copy.compress_depth(), 1);
  EXPECT_EQ(copy.AllocatedBytes(), b.ql.AllocatedBytes());
  const auto a_nodes = b.ql.DescribeNodes(), c_nodes = copy.DescribeNodes();
  ASSERT_EQ(a_nodes.size(), c_nodes.size());
  for (size_t i = 0; i < a_nodes.size(); ++i) {
    EXPECT_EQ(a_nodes[i].compressed, c_nodes[i].compressed);
    EXPECT_EQ(a_nodes[i].stored_bytes, c_nodes[i].stored_bytes);
  }
  EXPECT_EQ(Contents(copy), b.values);
  ASSERT_TRUE(copy.ReplaceAtIndex(1500, "changed"));
  copy.PushHead("head");
  EXPECT_EQ(Contents(b.ql), b.values);  // the original is untouched
  Quicklist moved(std::move(copy));
  EXPECT_EQ(moved.size(), b.values.size() + 1);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  copy.PushTail("reused");
  EXPECT_EQ(Contents(copy), (std::vector<std::string>{"reused"}));
  moved = std::move(copy);
  EXPECT_EQ(Contents(moved), (std::vector<std::string>{"reused"}));
}

TEST(Quicklist, SetOptionsAppliesToLaterOperations) {
  Quicklist ql(2, 0);
  for (int i = 0; i < 20; ++i) ql.PushTail(Compressible(60, i));
  EXPECT_EQ(ql.node_count(), 10u);
  ql.SetOptions(-2, 1);
  EXPECT_EQ(ql.fill(), -2);
  EXPECT_EQ(ql.compress_depth(), 1);
  for (int i = 0; i < 200; ++i) ql.PushTail(Compressible(60, i));
  const auto nodes = ql.DescribeNodes();
  EXPECT_GT(nodes.back().count, 2u);  // new nodes use the new fill
  EXPECT_TRUE(ql.CheckConsistency(/*check_compression=*/false).ok());
  EXPECT_TRUE(nodes[nodes.size() - 2].compressed);  // the node that left the tail's depth
  ql.SetOptions(100000, -3);                        // clamped
  EXPECT_EQ(ql.fill(), Quicklist::kMaxFill);
  EXPECT_EQ(ql.compress_depth(), 0);
}

TEST(Quicklist, MemoryIsExactlyTheNodesAndBlobs) {
  std::vector<std::string> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Compressible(20 + i % 200, i));
  const size_t before = mem::UsedMemory();
  {
    Quicklist ql(-2, 1);
    for (const std::string& v : values) ql.PushTail(v);
    EXPECT_EQ(mem::UsedMemory() - before, ql.AllocatedBytes());
    EXPECT_GE(ql.AllocatedBytes(), ql.node_count() * Quicklist::kNodeBytes);
  }
  EXPECT_EQ(mem::UsedMemory(), before);
}

// ---- random workload against a model ----

class QuicklistModel : public ::testing::TestWithParam<std::tuple<int, int, bool>> {};

std::string DrawValue(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0:
      return std::to_string(static_cast<int64_t>(rng()));
    case 1:
      return std::to_string(rng() % 1000);
    case 2:
      return "";
    case 3:
      return Compressible(100 + rng() % 400, static_cast<int>(rng() % 50));
    case 4:
      return std::string(rng() % 2 ? 4095 : 4096, static_cast<char>('a' + rng() % 26));
    case 5:
      return Incompressible(rng, rng() % 64);
    case 6:
      if (rng() % 8 == 0) return Compressible(9000 + rng() % 5000, 1);  // beyond a node
      [[fallthrough]];
    default:
      return "v" + std::to_string(rng() % 100);
  }
}

TEST_P(QuicklistModel, RandomWorkload) {
  const auto [fill, depth, low_threshold] = GetParam();
  ThresholdGuard guard(low_threshold ? 4096 : 0);
  std::mt19937_64 rng(static_cast<uint64_t>(fill * 31 + depth * 7 + low_threshold));
  Quicklist ql(fill, depth);
  std::deque<std::string> model;
  for (int op = 0; op < 2500; ++op) {
    const size_t n = model.size();
    // Phases of 500 operations: growing (pushes of up to 10 values are frequent) and shrinking,
    // so that the list reaches hundreds of nodes and also drains back to a few. Past 2000
    // elements, big range deletes (kinds 12, 13) join in.
    const bool growing = (op / 500) % 2 == 0;
    uint64_t kind = rng() % (n > 2000 ? 14 : 12);
    if (growing && rng() % 3 == 0) kind = 0;
    if (kind <= 1 || n == 0) {
      for (uint64_t k = 1 + rng() % 10; k > 0; --k) {
        const std::string v = DrawValue(rng);
        if (rng() % 2) {
          ql.PushHead(v);
          model.push_front(v);
        } else {
          ql.PushTail(v);
          model.push_back(v);
        }
      }
    } else if (kind == 2) {
      const bool head = rng() % 2;
      const std::optional<std::string> got = ql.Pop(head ? Where::kHead : Where::kTail);
      ASSERT_TRUE(got.has_value());
      ASSERT_EQ(*got, head ? model.front() : model.back());
      if (head) {
        model.pop_front();
      } else {
        model.pop_back();
      }
    } else if (kind == 3 || kind == 4) {
      const size_t i = rng() % n;
      const bool after = kind == 4;
      const Direction dir = rng() % 2 ? Direction::kHeadToTail : Direction::kTailToHead;
      const int64_t idx =
          rng() % 2 ? static_cast<int64_t>(i) : static_cast<int64_t>(i) - static_cast<int64_t>(n);
      const std::string v = DrawValue(rng);
      Quicklist::Iterator it = ql.IterateFrom(idx, dir);
      ASSERT_TRUE(it.Next());
      ASSERT_EQ(it.value().ToString(), model[i]);
      if (after) {
        it.InsertAfter(v);
      } else {
        it.InsertBefore(v);
      }
      ASSERT_FALSE(it.Next());
      model.insert(model.begin() + static_cast<ptrdiff_t>(i + (after ? 1 : 0)), v);
    } else if (kind == 5) {
      const size_t i = rng() % n;
      const std::string v = DrawValue(rng);
      const int64_t idx =
          rng() % 2 ? static_cast<int64_t>(i) : static_cast<int64_t>(i) - static_cast<int64_t>(n);
      ASSERT_TRUE(ql.ReplaceAtIndex(idx, v));
      model[i] = v;
    } else if (kind == 6 || kind >= 12) {
      const int64_t start =
          static_cast<int64_t>(rng() % (n + 2)) - static_cast<int64_t>(rng() % (n + 2));
      const size_t count = kind >= 12 ? 300 + rng() % 600 : rng() % 20;
      const size_t deleted = ql.DeleteRange(start, count);
      const int64_t first = start < 0 ? start + static_cast<int64_t>(n) : start;
      if (first < 0 || first >= static_cast<int64_t>(n) || count == 0) {
        ASSERT_EQ(deleted, 0u);
      } else {
        const size_t end = std::min(n, static_cast<size_t>(first) + count);
        ASSERT_EQ(deleted, end - static_cast<size_t>(first));
        model.erase(model.begin() + first, model.begin() + static_cast<ptrdiff_t>(end));
      }
    } else if (kind == 7) {
      // LREM-like: delete up to `limit` elements equal to a present value, in a direction.
      const std::string victim = model[rng() % n];
      const size_t limit = 1 + rng() % 3;
      const bool forward = rng() % 2;
      Quicklist::Iterator it =
          ql.Iterate(forward ? Direction::kHeadToTail : Direction::kTailToHead);
      size_t removed = 0;
      while (removed < limit && it.Next()) {
        if (it.Equals(victim)) {
          it.DeleteCurrent();
          ++removed;
        }
      }
      ASSERT_GE(removed, 1u);
      size_t done = 0;
      if (forward) {
        for (auto m = model.begin(); m != model.end() && done < removed;) {
          if (*m == victim) {
            m = model.erase(m);
            ++done;
          } else {
            ++m;
          }
        }
      } else {
        for (size_t k = model.size(); k-- > 0 && done < removed;) {
          if (model[k] == victim) {
            model.erase(model.begin() + static_cast<ptrdiff_t>(k));
            ++done;
          }
        }
      }
      ASSERT_EQ(done, removed);
    } else if (kind == 8) {
      // Index reads, then a partial walk abandoned midway (the iterator must recompress).
      const size_t i = rng() % n;
      const Direction dir = rng() % 2 ? Direction::kHeadToTail : Direction::kTailToHead;
      Quicklist::Iterator it = ql.IterateFrom(static_cast<int64_t>(i), dir);
      size_t pos = i;
      for (int steps = 0; steps < 1 + static_cast<int>(rng() % 50); ++steps) {
        if (!it.Next()) {
          ASSERT_TRUE(dir == Direction::kHeadToTail ? pos == n : pos == SIZE_MAX);
          break;
        }
        ASSERT_EQ(it.value().ToString(), model[pos]);
        pos = dir == Direction::kHeadToTail ? pos + 1 : pos - 1;
      }
      ASSERT_FALSE(ql.IterateFrom(static_cast<int64_t>(n), dir).Next());
      ASSERT_FALSE(ql.IterateFrom(-static_cast<int64_t>(n) - 1, dir).Next());
    } else if (kind == 9) {
      // Iterator delete of a run of elements from a random index.
      const size_t i = rng() % n;
      Quicklist::Iterator it = ql.IterateFrom(static_cast<int64_t>(i), Direction::kHeadToTail);
      size_t k = 0;
      const size_t run = 1 + rng() % 30;
      while (k < run && it.Next()) {
        ASSERT_EQ(it.value().ToString(), model[i]);
        it.DeleteCurrent();
        model.erase(model.begin() + static_cast<ptrdiff_t>(i));
        ++k;
      }
    } else if (kind == 10) {
      Quicklist copy = ql.Duplicate();
      ASSERT_EQ(copy.AllocatedBytes(), ql.AllocatedBytes());
      ASSERT_EQ(Contents(copy), Vec(model));
    } else {
      // Index read through the copy API of an element.
      const size_t i = rng() % n;
      Quicklist::Iterator it = ql.IterateFrom(-static_cast<int64_t>(n - i), Direction::kTailToHead);
      ASSERT_TRUE(it.Next());
      ASSERT_EQ(it.value().ToString(), model[i]);
    }
    ASSERT_EQ(ql.size(), model.size());
    if (op % 50 == 0) {
      const Status s = ql.CheckConsistency();
      ASSERT_TRUE(s.ok()) << "op " << op << ": " << s.message();
      ASSERT_EQ(Contents(ql), Vec(model));
      ASSERT_EQ(Contents(ql, Direction::kTailToHead), Vec(model));
    }
  }
  const Status s = ql.CheckConsistency();
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(Contents(ql), Vec(model));
  // Compression really happened where it could.
  if (depth > 0 && ql.node_count() > 2u * depth + 2 && fill != 1) {
    size_t compressed = 0;
    for (const auto& node : ql.DescribeNodes()) compressed += node.compressed;
    EXPECT_GT(compressed, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(FillsAndDepths, QuicklistModel,
                         ::testing::Combine(::testing::Values(-1, -2, -5, 1, 4, 128),
                                            ::testing::Values(0, 1, 2),
                                            ::testing::Values(false, true)));

}  // namespace
}  // namespace mnemo::ds
