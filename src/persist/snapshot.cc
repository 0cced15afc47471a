// snapshot.cc: the fork-less BGSAVE's walk and copy on write (layer: persist).
#include "mnemo/persist/snapshot.h"

#include <unistd.h>

#include <utility>

#include <fmt/format.h>

#include "mnemo/base/assert.h"
#include "mnemo/base/clock.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/aof.h"
#include "mnemo/persist/dump.h"
#include "mnemo/persist/files.h"
#include "mnemo/persist/rdb_file.h"

namespace mnemo::persist {

namespace {

// The clock is read once per this many buckets of the walk.
constexpr int kBucketsPerClockRead = 16;

}  // namespace

Result<std::unique_ptr<Snapshot>> Snapshot::Start(const std::string& path, db::Keyspace& ks,
                                                  const SnapshotOptions& options) {
  MNEMO_ASSERT(ks.changes().write_guard() == nullptr);
  const std::string tmp = fmt::format("{}/temp-bg-{}.rdb", DirOf(path), ::getpid());
  Result<std::unique_ptr<BackgroundFile>> file = BackgroundFile::Create(tmp, path, options.file);
  if (!file.ok()) return file.status();
  auto snap = std::unique_ptr<Snapshot>(new Snapshot(ks, std::move(*file), options));
  return snap;
}

std::unique_ptr<Snapshot> Snapshot::StartTo(std::unique_ptr<SnapshotOutput> out, db::Keyspace& ks,
                                            const SnapshotOptions& options) {
  MNEMO_ASSERT(ks.changes().write_guard() == nullptr);
  return std::unique_ptr<Snapshot>(new Snapshot(ks, std::move(out), options));
}

Snapshot::Snapshot(db::Keyspace& ks, std::unique_ptr<SnapshotOutput> file,
                   const SnapshotOptions& options)
    : ks_(ks),
      file_(std::move(file)),
      options_(options),
      writer_(file_.get(), RdbWriterOptions{options.compression}) {
  if (options_.commands) {
    if (options_.timestamp) {
      std::string ts;
      AppendAofTimestamp(&ts, UnixTimeMs() / 1000);
      writer_.WriteRaw(ts.data(), ts.size());
    }
  } else {
    // The header and AUX fields as a synchronous save writes them (WriteKeyspace).
    writer_.WriteHeader();
    writer_.WriteAux("redis-ver", options_.redis_version);
    writer_.WriteAux("redis-bits", int64_t{64});
    writer_.WriteAux("ctime", UnixTimeMs() / 1000);
    writer_.WriteAux("used-mem", static_cast<int64_t>(mem::UsedMemory()));
    if (!options_.repl_id.empty()) {
      writer_.WriteAux("repl-stream-db", int64_t{options_.repl_stream_db});
      writer_.WriteAux("repl-id", options_.repl_id);
      writer_.WriteAux("repl-offset", options_.repl_offset);
    }
    writer_.WriteAux("aof-base", int64_t{options_.aof_base ? 1 : 0});
    for (const std::string& code : options_.function_codes) writer_.WriteFunction(code);
  }
  const int n = ks_.num_dbs();
  walks_.resize(static_cast<size_t>(n));
  resized_.assign(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    DbWalk& w = walks_[static_cast<size_t>(i)];
    db::Db& d = ks_.db(i);
    w.origin = i;
    w.keys_at_start = d.size();
    w.expires_at_start = d.expires_size();
    w.done = d.size() == 0;
    progress_.keys_total += d.size();
  }
  // From here on every existing key is "not written"; new ones are marked by Db.
  ks_.changes().FlipSnapshotEpoch();
  epoch_ = ks_.changes().snapshot_epoch();
  ks_.changes().set_write_guard(this);
  installed_ = true;
}

Snapshot::~Snapshot() {
  if (state_ != State::kDone) Abort();
}

void Snapshot::Uninstall() {
  if (!installed_) return;
  ks_.changes().set_write_guard(nullptr);
  installed_ = false;
}

void Snapshot::WriteOne(int db_index, db::Object* o) {
  const DbWalk& w = walks_[static_cast<size_t>(db_index)];
  if (options_.commands) {
    WriteOneAsCommands(w.origin, o);
    o->set_snapshot_mark(epoch_);
    ++progress_.keys_written;
    return;
  }
  if (w.origin != selected_) {
    writer_.WriteSelectDb(w.origin);
    selected_ = w.origin;
    if (!resized_[static_cast<size_t>(w.origin)]) {
      resized_[static_cast<size_t>(w.origin)] = true;
      // The sizes at Start of the contents that had this number then.
      for (const DbWalk& x : walks_) {
        if (x.origin == w.origin) writer_.WriteResizeDb(x.keys_at_start, x.expires_at_start);
      }
    }
  }
  writer_.WriteKey(*o, MetaOf(*o, ks_));
  o->set_snapshot_mark(epoch_);
  ++progress_.keys_written;
}

void Snapshot::WriteOneAsCommands(int origin, db::Object* o) {
  std::string out;
  if (origin != selected_) {
    const std::string db = std::to_string(origin);
    const std::string_view select[] = {"SELECT", db};
    AppendAofCommand(&out, std::span<const std::string_view>(select));
    selected_ = origin;
  }
  const std::string_view key = o->key();
  // As Redis's rewriteAppendOnlyFileRio: a collection as commands of at most 64 items each
  // (AOF_REWRITE_ITEMS_PER_CMD), then PEXPIREAT for a key that expires.
  constexpr size_t kItemsPerCommand = 64;
  std::vector<std::string> argv;
  size_t items = 0;
  auto begin = [&](std::string_view command) {
    argv.clear();
    argv.emplace_back(command);
    argv.emplace_back(key);
    items = 0;
  };
  auto flush = [&] {
    if (items > 0) AppendAofCommand(&out, std::span<const std::string>(argv));
    argv.resize(2);
    items = 0;
  };
  auto item = [&](std::initializer_list<std::string_view> parts) {
    for (std::string_view p : parts) argv.emplace_back(p);
    if (++items == kItemsPerCommand) flush();
  };
  switch (o->type()) {
    case db::ObjType::kString: {
      db::StringBuffer buf;
      const std::string_view v = db::StringView(*o, buf);
      const std::string_view set[] = {"SET", key, v};
      AppendAofCommand(&out, std::span<const std::string_view>(set));
      break;
    }
    case db::ObjType::kList: {
      begin("RPUSH");
      db::ListIterator it(*o, 0, db::ListDirection::kHeadToTail);
      while (it.Next()) item({it.Value()});
      flush();
      break;
    }
    case db::ObjType::kSet: {
      begin("SADD");
      db::SetForEach(o, [&](const db::SetMember& m) {
        db::IntBuffer buf;
        item({m.Bytes(buf)});
        return true;
      });
      flush();
      break;
    }
    case db::ObjType::kZset: {
      begin("ZADD");
      const size_t n = db::ZsetLength(*o);
      if (n > 0) {
        db::ZsetRangeByRank(o, 0, n - 1, false, [&](std::string_view member, double score) {
          // Redis's rioWriteBulkDouble: "%.17g" (inf and -inf as such).
          const std::string s = fmt::format("{:.17g}", score);
          item({s, member});
        });
      }
      flush();
      break;
    }
    case db::ObjType::kHash: {
      begin("HMSET");
      db::HashForEach(*o, [&](std::string_view field, std::string_view value) {
        item({field, value});
      });
      flush();
      break;
    }
    default: {
      // Streams (and anything else): the DUMP payload, which keeps consumer groups and pending
      // entries exactly (Redis writes XADD, XSETID, XGROUP CREATE and XCLAIM instead).
      const std::string payload = CreateDumpPayload(*o, options_.compression);
      const std::string_view restore[] = {"RESTORE", key, "0", payload};
      AppendAofCommand(&out, std::span<const std::string_view>(restore));
      break;
    }
  }
  const int64_t expire = db::Db::ExpireOf(o);
  if (expire >= 0) {
    const std::string when = std::to_string(expire);
    const std::string_view pexpireat[] = {"PEXPIREAT", key, when};
    AppendAofCommand(&out, std::span<const std::string_view>(pexpireat));
  }
  writer_.WriteRaw(out.data(), out.size());
}

void Snapshot::BeforeKeyWrite(db::Db& db, db::Object* o) {
  const uint64_t before = writer_.bytes();
  WriteOne(db.id(), o);
  ++progress_.cow_keys;
  progress_.cow_bytes += writer_.bytes() - before;
}

void Snapshot::BeforeDbClear(db::Db& db) {
  DbWalk& w = walks_[static_cast<size_t>(db.id())];
  if (!w.done) {
    db.keys().ForEach([&](db::Object* o) {
      if (o->snapshot_mark() != epoch_) {
        const uint64_t before = writer_.bytes();
        WriteOne(db.id(), o);
        ++progress_.cow_keys;
        progress_.cow_bytes += writer_.bytes() - before;
      }
    });
  }
  w.done = true;
  w.cursor = 0;
}

void Snapshot::BeforeDbSwap(db::Db& a, db::Db& b) {
  std::swap(walks_[static_cast<size_t>(a.id())], walks_[static_cast<size_t>(b.id())]);
}

Snapshot::State Snapshot::Step(int64_t budget_us) {
  if (state_ == State::kCommitting) {
    if (file_->done()) {
      status_ = file_->status();
      state_ = State::kDone;
    }
    return state_;
  }
  if (state_ != State::kWalking) return state_;
  if (!writer_.status().ok() || !file_->status().ok()) {
    Fail(writer_.status().ok() ? file_->status() : writer_.status());
    return state_;
  }
  if (file_->over_soft_limit()) return state_;  // the disk is behind: let it catch up
  const int64_t deadline = MonotonicUs() + budget_us;
  int buckets = 0;
  for (size_t i = 0; i < walks_.size(); ++i) {
    DbWalk& w = walks_[i];
    if (w.done) continue;
    db::Db& d = ks_.db(static_cast<int>(i));
    const int index = static_cast<int>(i);
    for (;;) {
      w.cursor = d.keys().Scan(w.cursor, [&](db::Object* o) {
        if (o->snapshot_mark() != epoch_) WriteOne(index, o);
      });
      if (w.cursor == 0) {
        w.done = true;
        break;
      }
      if (++buckets % kBucketsPerClockRead == 0 &&
          (MonotonicUs() >= deadline || file_->over_soft_limit())) {
        return state_;
      }
    }
  }
  EndWalk();
  return state_;
}

void Snapshot::EndWalk() {
  // Every key that existed at Start is written (or was, before it changed): the guard has
  // nothing left to do, and every object's mark equals the epoch again.
  Uninstall();
  Status s = options_.commands ? writer_.Flush() : writer_.WriteEof(options_.checksum);
  if (!s.ok()) {
    Fail(std::move(s));
    return;
  }
  file_->Commit();
  state_ = State::kCommitting;
}

void Snapshot::MarkAll() {
  for (int i = 0; i < ks_.num_dbs(); ++i) {
    ks_.db(i).keys().ForEach([&](db::Object* o) { o->set_snapshot_mark(epoch_); });
  }
}

void Snapshot::Fail(Status s) {
  if (installed_) MarkAll();
  Uninstall();
  file_->Abort();
  status_ = std::move(s);
  state_ = State::kDone;
}

void Snapshot::Abort() {
  if (state_ == State::kDone) return;
  Fail(Status::Error("Background saving aborted"));
}

SnapshotProgress Snapshot::progress() const {
  SnapshotProgress p = progress_;
  p.bytes = writer_.bytes();
  p.buffer_bytes = file_->queued_bytes();
  p.buffer_peak = file_->peak_queued_bytes();
  return p;
}

}  // namespace mnemo::persist
