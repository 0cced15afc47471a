// stream_test.cc: tests of the stream log (layer: ds): Redis's node bytes, a seeded random
// workload (appends, deletions, trims, node limits) against a std::map model, reverse
// iteration, groups and PELs, clones, and node validation of corrupt bytes.
#include "mnemo/ds/stream.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "mnemo/ds/chunk_map.h"
#include "mnemo/ds/stream_id.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

using Fields = std::vector<std::string>;
using Model = std::map<StreamId, Fields>;

Fields EntryFields(StreamIterator& it) {
  Fields out;
  LpEntry f, v;
  while (it.NextField(&f, &v)) {
    out.push_back(f.ToString());
    out.push_back(v.ToString());
  }
  return out;
}

void Append(Stream* s, Model* m, const StreamId& id, const Fields& fv, StreamNodeLimits lim) {
  std::vector<std::string_view> views(fv.begin(), fv.end());
  s->Append(id, views, lim);
  (*m)[id] = fv;
}

void ExpectSame(const Stream& s, const Model& m) {
  ASSERT_EQ(s.length(), m.size());
  StreamIterator it(s, StreamId::Min(), StreamId::Max(), false);
  auto mi = m.begin();
  while (it.Next()) {
    ASSERT_NE(mi, m.end());
    EXPECT_EQ(it.id(), mi->first);
    EXPECT_EQ(EntryFields(it), mi->second);
    ++mi;
  }
  EXPECT_EQ(mi, m.end());
  StreamIterator rit(s, StreamId::Min(), StreamId::Max(), true);
  auto rmi = m.rbegin();
  while (rit.Next()) {
    ASSERT_NE(rmi, m.rend());
    EXPECT_EQ(rit.id(), rmi->first);
    ++rmi;
  }
  EXPECT_EQ(rmi, m.rend());
  // Every node is valid and counted.
  s.ForEachNode([&](const StreamId& id, const uint8_t* lp) {
    EXPECT_TRUE(StreamValidateNode(lp, LpBytes(lp), id, true));
  });
}

TEST(StreamIdTest, ParsesAsRedis) {
  auto p = ParseStreamId("5", 0, true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, (StreamId{5, 0}));
  EXPECT_EQ(ParseStreamId("5", UINT64_MAX, false)->id, (StreamId{5, UINT64_MAX}));
  EXPECT_EQ(ParseStreamId("-", 0, false)->id, StreamId::Min());
  EXPECT_EQ(ParseStreamId("+", 0, false)->id, StreamId::Max());
  EXPECT_FALSE(ParseStreamId("-", 0, true));
  EXPECT_FALSE(ParseStreamId("x", 0, false));
  EXPECT_FALSE(ParseStreamId("1-x", 0, false));
  EXPECT_FALSE(ParseStreamId("18446744073709551616", 0, false));
  EXPECT_EQ(ParseStreamId("18446744073709551615-18446744073709551615", 0, true)->id,
            StreamId::Max());
  auto w = ParseStreamId("7-*", 0, true, true);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->seq_given);
  EXPECT_FALSE(ParseStreamId("7-*", 0, true, false));
  EXPECT_FALSE(ParseStreamId(std::string(128, '1'), 0, true));
  EXPECT_EQ(StreamIdToString(StreamId{1, 2}), "1-2");
  StreamId id = StreamId::Max();
  EXPECT_FALSE(StreamIdIncr(&id));
  id = StreamId{1, UINT64_MAX};
  EXPECT_TRUE(StreamIdIncr(&id));
  EXPECT_EQ(id, (StreamId{2, 0}));
  EXPECT_TRUE(StreamIdDecr(&id));
  EXPECT_EQ(id, (StreamId{1, UINT64_MAX}));
  uint8_t buf[16];
  EncodeStreamIdBigEndian(StreamId{0x0102, 0x0304}, buf);
  EXPECT_EQ(buf[6], 0x01);
  EXPECT_EQ(buf[15], 0x04);
  EXPECT_EQ(DecodeStreamIdBigEndian(buf), (StreamId{0x0102, 0x0304}));
}

TEST(ChunkMapTest, RandomAgainstStdMap) {
  std::mt19937_64 rng(7);
  ChunkMap<uint64_t, uint64_t> cm;
  std::map<uint64_t, uint64_t> m;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t k = rng() % 3000;
    if (rng() % 3 == 0) {
      EXPECT_EQ(cm.Erase(k), m.erase(k) == 1);
    } else {
      EXPECT_EQ(cm.Insert(k, k * 3), m.emplace(k, k * 3).second);
    }
  }
  ASSERT_EQ(cm.size(), m.size());
  auto mi = m.begin();
  for (auto p = cm.Begin(); cm.Valid(p); p = cm.Next(p), ++mi) {
    EXPECT_EQ(cm.KeyAt(p), mi->first);
    EXPECT_EQ(cm.ValueAt(p), mi->second);
  }
  for (uint64_t k = 0; k < 3100; k += 7) {
    auto lb = cm.LowerBound(k);
    auto it = m.lower_bound(k);
    EXPECT_EQ(cm.Valid(lb), it != m.end());
    if (it != m.end()) {
      EXPECT_EQ(cm.KeyAt(lb), it->first);
    }
  }
  EXPECT_GT(cm.MemoryUsage(), m.size() * 16);
}

TEST(StreamTest, NodeBytesAreRedisFormat) {
  Stream* s = Stream::New();
  Model m;
  Append(s, &m, StreamId{5, 0}, {"a", "1", "b", "x"}, {});
  Append(s, &m, StreamId{5, 1}, {"a", "2", "b", "y"}, {});
  Append(s, &m, StreamId{7, 0}, {"c", "3"}, {});
  ASSERT_EQ(s->node_count(), 1u);
  s->ForEachNode([&](const StreamId& id, const uint8_t* lp_const) {
    uint8_t* lp = const_cast<uint8_t*>(lp_const);
    EXPECT_EQ(id, (StreamId{5, 0}));
    std::vector<std::string> els;
    for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p))
      els.push_back(LpGet(p).ToString());
    // master: count deleted nfields a b 0; entries: flags ms seq values lp-count.
    const std::vector<std::string> want = {"3", "0", "2", "a", "b", "0", "2", "0", "0",
                                           "1", "x", "5", "2", "0", "1", "2", "y", "5",
                                           "0", "2", "0", "1", "c", "3", "6"};
    EXPECT_EQ(els, want);
  });
  ExpectSame(*s, m);
  Stream::Delete(s);
}

TEST(StreamTest, RandomWorkloadAgainstModel) {
  for (uint64_t seed : {1, 2, 3}) {
    std::mt19937_64 rng(seed);
    StreamNodeLimits lim{seed == 1 ? 4096u : 300u, seed == 3 ? 0 : int64_t(3 + seed * 10)};
    Stream* s = Stream::New();
    Model m;
    uint64_t ms = 1;
    for (int i = 0; i < 4000; ++i) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 6) {
        ms += rng() % 3;
        StreamId id{ms, rng() % 4};
        if (id <= s->last_id()) id = StreamId{s->last_id().ms, s->last_id().seq + 1};
        Fields fv;
        const int nf = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < nf; ++f) {
          fv.push_back(rng() % 5 == 0 ? "other" : "f" + std::to_string(f));
          fv.push_back(rng() % 2 ? std::to_string(rng() % 100000) : std::string(rng() % 70, 'v'));
        }
        Append(s, &m, id, fv, lim);
      } else if (op < 8 && !m.empty()) {
        auto it = m.begin();
        std::advance(it, static_cast<long>(rng() % m.size()));
        const StreamId id = rng() % 4 == 0 ? StreamId{it->first.ms, it->first.seq + 7} : it->first;
        EXPECT_EQ(s->DeleteEntry(id), m.erase(id) == 1);
      } else if (op == 8) {
        StreamTrimArgs t;
        t.strategy = StreamTrimArgs::Strategy::kMaxLen;
        t.maxlen = static_cast<int64_t>(m.size() * 3 / 4);
        const int64_t removed = s->Trim(t);
        EXPECT_EQ(removed, static_cast<int64_t>(m.size()) - std::min<int64_t>(m.size(), t.maxlen));
        while (m.size() > static_cast<size_t>(t.maxlen)) m.erase(m.begin());
      } else {
        StreamTrimArgs t;
        t.strategy = StreamTrimArgs::Strategy::kMinId;
        t.minid = StreamId{ms > 20 ? ms - 20 : 0, 0};
        t.approx = rng() % 2 == 0;
        s->Trim(t);
        if (!t.approx) {
          while (!m.empty() && m.begin()->first < t.minid) m.erase(m.begin());
        } else {
          // Whole nodes only: whatever is left must be a suffix of the model.
          while (m.size() > s->length()) m.erase(m.begin());
        }
      }
      if (i % 500 == 0) ExpectSame(*s, m);
    }
    ExpectSame(*s, m);
    // Ranges, both ways, against the model.
    for (int q = 0; q < 200; ++q) {
      StreamId a{rng() % (ms + 2), rng() % 5}, b{rng() % (ms + 2), rng() % 5};
      if (b < a) std::swap(a, b);
      std::vector<StreamId> want, got;
      for (auto it = m.lower_bound(a); it != m.end() && it->first <= b; ++it)
        want.push_back(it->first);
      StreamIterator it(*s, a, b, q % 2 == 1);
      while (it.Next()) got.push_back(it.id());
      if (q % 2 == 1) std::reverse(got.begin(), got.end());
      EXPECT_EQ(got, want);
    }
    Stream* c = s->Clone();
    ExpectSame(*c, m);
    EXPECT_LE(c->MemoryUsage(0), s->MemoryUsage(0));  // copies are sized to fit
    Stream::Delete(c);
    Stream::Delete(s);
  }
}

TEST(StreamTest, NodeLimits) {
  Stream* s = Stream::New();
  Model m;
  for (uint64_t i = 1; i <= 250; ++i) Append(s, &m, StreamId{i, 0}, {"f", "v"}, {4096, 100});
  EXPECT_EQ(s->node_count(), 3u);
  Stream::Delete(s);
  s = Stream::New();
  for (uint64_t i = 1; i <= 50; ++i) {
    Append(s, &m, StreamId{i, 0}, {"f", std::string(100, 'x')}, {1000, 0});
  }
  EXPECT_GT(s->node_count(), 5u);
  Stream::Delete(s);
}

TEST(StreamTest, GroupsAndPels) {
  Stream* s = Stream::New();
  Model m;
  for (uint64_t i = 1; i <= 10; ++i) Append(s, &m, StreamId{i, 0}, {"f", "v"}, {});
  StreamGroup* g = s->CreateGroup("g", StreamId::Min(), 0);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(s->CreateGroup("g", StreamId::Min(), 0), nullptr);
  StreamConsumer* a = StreamCreateConsumer(g, "alice", 100);
  StreamConsumer* b = StreamCreateConsumer(g, "bob", 100);
  for (uint64_t i = 1; i <= 6; ++i) StreamPelDeliver(g, i % 2 ? a : b, StreamId{i, 0}, 200);
  EXPECT_EQ(g->pel.size(), 6u);
  EXPECT_EQ(a->pel.size(), 3u);
  StreamPelAssign(g, StreamId{2, 0}, a);
  EXPECT_EQ(a->pel.size(), 4u);
  EXPECT_EQ(b->pel.size(), 2u);
  // Redelivery moves it back with a count of 1.
  g->pel.Find(StreamId{2, 0})->delivery_count = 5;
  StreamNack* n = StreamPelDeliver(g, b, StreamId{2, 0}, 300);
  EXPECT_EQ(n->delivery_count, 1u);
  EXPECT_EQ(n->consumer, b);
  EXPECT_TRUE(StreamPelRemove(g, StreamId{1, 0}));
  EXPECT_FALSE(StreamPelRemove(g, StreamId{1, 0}));
  Stream* c = s->Clone();
  StreamGroup* cg = c->FindGroup("g");
  ASSERT_NE(cg, nullptr);
  EXPECT_EQ(cg->pel.size(), 5u);
  EXPECT_EQ(cg->pel.Find(StreamId{2, 0})->consumer, StreamFindConsumer(*cg, "bob"));
  EXPECT_EQ(StreamDeleteConsumer(g, a), 2u);
  EXPECT_EQ(g->pel.size(), 3u);
  EXPECT_TRUE(s->DestroyGroup("g"));
  EXPECT_FALSE(s->DestroyGroup("g"));
  Stream::Delete(c);
  Stream::Delete(s);
}

TEST(StreamTest, ValidateRejectsCorruptNodes) {
  Stream* s = Stream::New();
  Model m;
  for (uint64_t i = 1; i <= 5; ++i) Append(s, &m, StreamId{i, 0}, {"f", "v", "g", "1"}, {});
  s->ForEachNode([&](const StreamId& id, const uint8_t* lp) {
    const size_t n = LpBytes(lp);
    int64_t live = 0;
    EXPECT_TRUE(StreamValidateNode(lp, n, id, true, &live));
    EXPECT_EQ(live, 5);
    {
      std::vector<uint8_t> copy(lp, lp + n);
      ASSERT_EQ(copy[6], 5);  // the live count, a 7-bit integer element
      copy[6] = 4;
      EXPECT_FALSE(StreamValidateNode(copy.data(), copy.size(), id, true));
    }
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
      std::vector<uint8_t> copy(lp, lp + n);
      copy[rng() % n] = static_cast<uint8_t>(rng());
      // Must not crash or read outside (ASan builds); the result may be either.
      (void)StreamValidateNode(copy.data(), copy.size(), id, true);
    }
    // A node whose loaded counts disagree is refused by the loader.
    uint8_t* dup = LpDup(lp);
    Stream* t = Stream::New();
    EXPECT_TRUE(t->AppendLoadedNode(id, dup));
    EXPECT_EQ(t->length(), 5u);
    uint8_t* dup2 = LpDup(lp);
    EXPECT_FALSE(t->AppendLoadedNode(id, dup2));  // not above the last node
    LpFree(dup2);
    Stream::Delete(t);
  });
  Stream::Delete(s);
}

}  // namespace
}  // namespace mnemo::ds
