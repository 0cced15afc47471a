// hll_cmds.cc: the HyperLogLog commands PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST
// (layer: cmd). Semantics, replies and error texts follow Redis 7.0's hyperloglog.c.
//
// A HyperLogLog is a string value; these handlers check that the string is one (db/hll.h), make
// it raw through the string type API before changing it in place, and leave the register
// arithmetic to db/hll.
#include <memory>
#include <string>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/hll.h"
#include "mnemo/db/string_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

size_t SparseMaxBytes(const Context& ctx) {
  return static_cast<size_t>(ctx.keyspace.options().hll_sparse_max_bytes);
}

// The bytes of `o` if it is a HyperLogLog; otherwise replies WRONGTYPE (the generic text for
// other types, the HyperLogLog one for other strings) and returns nullopt.
std::optional<std::string_view> HllBytesOrReply(Context& ctx, const Object* o, db::StringBuffer& buf) {
  if (WrongType(ctx, o, ObjType::kString)) return std::nullopt;
  const std::string_view bytes = db::StringView(*o, buf);
  if (!db::HllIsValid(bytes)) {
    ctx.reply.Error(protocol::kErrHllWrongType);
    return std::nullopt;
  }
  return bytes;
}

// Announces a change that is not a keyspace event (the cached count, a conversion): WATCH and
// tracking hear of it and the call propagates, as Redis's signalModifiedKey + dirty++.
void ModifiedSilently(Context& ctx, std::string_view key) {
  ctx.keyspace.changes().Modified(ctx.db(), key);
  ctx.keyspace.changes().AddDirty(1);
}

// PFADD key [element ...]
void PfaddCommand(Context& ctx) {
  db::Db& d = ctx.db();
  const std::string_view key = ctx.arg(1);
  Object* o = d.LookupWrite(key);
  uint64_t updated = 0;
  if (o == nullptr) {
    o = db::NewRawStringObject(ctx.keyspace, key, db::HllNew(), -1);
    d.Add(o);
    ++updated;
  } else {
    db::StringBuffer buf;
    if (!HllBytesOrReply(ctx, o, buf)) return;
    o = db::StringMakeRaw(d, o);
  }
  bool corrupt = false;
  for (size_t j = 2; j < ctx.argc() && !corrupt; ++j) {
    ds::sds s = db::StringRawSds(*o);
    const db::HllUpdate r = db::HllAdd(&s, ctx.arg(j), SparseMaxBytes(ctx));
    db::StringSetRawSds(o, s);
    if (r == db::HllUpdate::kChanged) ++updated;
    corrupt = r == db::HllUpdate::kCorrupt;
  }
  if (updated > 0) {
    db::HllInvalidateCache(db::StringRawSds(*o));
    ctx.Changed(key, db::kNotifyString, "pfadd", updated);
  }
  if (corrupt) {
    ctx.reply.Error(protocol::kErrHllCorrupt);
    return;
  }
  ctx.reply.Integer(updated > 0 ? 1 : 0);
}

// PFCOUNT key [key ...]
void PfcountCommand(Context& ctx) {
  db::Db& d = ctx.db();
  if (ctx.argc() > 2) {
    // The union of several: the registers' maxima, counted; no cache is touched.
    auto max = std::make_unique<db::HllRegisters>();
    max->fill(0);
    for (size_t j = 1; j < ctx.argc(); ++j) {
      const Object* o = d.LookupRead(ctx.arg(j));
      if (o == nullptr) continue;
      db::StringBuffer buf;
      auto bytes = HllBytesOrReply(ctx, o, buf);
      if (!bytes) return;
      if (!db::HllMerge(*max, *bytes)) {
        ctx.reply.Error(protocol::kErrHllCorrupt);
        return;
      }
    }
    ctx.reply.Integer(static_cast<int64_t>(db::HllCountRegisters(*max)));
    return;
  }
  const std::string_view key = ctx.arg(1);
  Object* o = d.LookupRead(key);
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  {
    db::StringBuffer buf;
    auto bytes = HllBytesOrReply(ctx, o, buf);
    if (!bytes) return;
    if (auto cached = db::HllCachedCount(*bytes)) {
      ctx.reply.Integer(static_cast<int64_t>(*cached));
      return;
    }
  }
  // Recount and cache the count in the string (which makes PFCOUNT a write, propagated).
  o = db::StringMakeRaw(d, o);
  ds::sds s = db::StringRawSds(*o);
  const std::optional<uint64_t> count = db::HllCount(ds::SdsView(s));
  if (!count) {
    ctx.reply.Error(protocol::kErrHllCorrupt);
    return;
  }
  db::HllSetCachedCount(s, *count);
  ModifiedSilently(ctx, key);
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

// PFMERGE destkey [sourcekey ...]: the destination is one of the sources.
void PfmergeCommand(Context& ctx) {
  db::Db& d = ctx.db();
  auto max = std::make_unique<db::HllRegisters>();
  max->fill(0);
  bool use_dense = false;
  for (size_t j = 1; j < ctx.argc(); ++j) {
    const Object* o = d.LookupRead(ctx.arg(j));
    if (o == nullptr) continue;
    db::StringBuffer buf;
    auto bytes = HllBytesOrReply(ctx, o, buf);
    if (!bytes) return;
    // A dense input makes the destination dense at once (as Redis: no sparse detour).
    if (db::HllEncodingOf(*bytes) == db::HllEncoding::kDense) use_dense = true;
    if (!db::HllMerge(*max, *bytes)) {
      ctx.reply.Error(protocol::kErrHllCorrupt);
      return;
    }
  }
  const std::string_view key = ctx.arg(1);
  Object* o = d.LookupWrite(key);
  if (o == nullptr) {
    o = db::NewRawStringObject(ctx.keyspace, key, db::HllNew(), -1);
    d.Add(o);
  } else {
    o = db::StringMakeRaw(d, o);  // checked as a source above
  }
  ds::sds s = db::StringRawSds(*o);
  if (use_dense && !db::HllToDense(&s)) {
    ctx.reply.Error(protocol::kErrHllCorrupt);
    return;
  }
  for (uint32_t i = 0; i < db::kHllRegisters; ++i) {
    if ((*max)[i] == 0) continue;
    (void)db::HllSetRegister(&s, i, (*max)[i], SparseMaxBytes(ctx));
  }
  db::HllInvalidateCache(s);
  db::StringSetRawSds(o, s);
  // Redis announces PFMERGE as "pfadd": in effect a mass add.
  ctx.Changed(key, db::kNotifyString, "pfadd");
  ctx.reply.Ok();
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
void PfdebugCommand(Context& ctx) {
  db::Db& d = ctx.db();
  const std::string_view sub = ctx.arg(1);
  const std::string_view key = ctx.arg(2);
  Object* o = d.LookupWrite(key);
  if (o == nullptr) {
    ctx.reply.Error(protocol::kErrPfdebugNoKey);
    return;
  }
  {
    db::StringBuffer buf;
    if (!HllBytesOrReply(ctx, o, buf)) return;
  }
  o = db::StringMakeRaw(d, o);
  ds::sds s = db::StringRawSds(*o);
  const bool sparse = db::HllEncodingOf(ds::SdsView(s)) == db::HllEncoding::kSparse;
  if (EqualsIgnoreCase(sub, "getreg") || EqualsIgnoreCase(sub, "todense")) {
    if (sparse) {
      if (!db::HllToDense(&s)) {
        ctx.reply.Error(protocol::kErrHllCorrupt);
        return;
      }
      db::StringSetRawSds(o, s);
      ModifiedSilently(ctx, key);  // the conversion propagates
    }
    if (EqualsIgnoreCase(sub, "todense")) {
      ctx.reply.Integer(sparse ? 1 : 0);
      return;
    }
    ctx.reply.ArrayHeader(db::kHllRegisters);
    for (size_t i = 0; i < db::kHllRegisters; ++i) {
      ctx.reply.Integer(db::HllDenseRegister(ds::SdsView(s), i));
    }
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (!sparse) {
      ctx.reply.Error(protocol::kErrPfdebugNotSparse);
      return;
    }
    ctx.reply.Bulk(db::HllDecodeSparse(ds::SdsView(s)));
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.SimpleString(sparse ? "sparse" : "dense");
  } else {
    ctx.reply.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

// PFSELFTEST
void PfselftestCommand(Context& ctx) {
  const std::string failure = db::HllSelfTest(SparseMaxBytes(ctx));
  if (!failure.empty()) {
    ctx.reply.Error("ERR " + failure);
    return;
  }
  ctx.reply.Ok();
}

constexpr CommandSpec kHllCommands[] = {
    {"pfadd", PfaddCommand, -2, kWrite | kDenyOom | kFast, 1, 1, 1, "hyperloglog",
     "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", "2.8.9",
     "O(1) to add every element.", kNoSubcommands, kAclHyperLogLog, kKeysWritten},
    {"pfcount", PfcountCommand, -2, kReadOnly, 1, -1, 1, "hyperloglog",
     "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
     "2.8.9",
     "O(1) with a very small average constant time when called with a single key. O(N) with N "
     "being the number of keys, and much bigger constant times, when called with multiple "
     "keys.",
     kNoSubcommands, kAclHyperLogLog, kKeysRead},
    {"pfmerge", PfmergeCommand, -2, kWrite | kDenyOom, 1, -1, 1, "hyperloglog",
     "Merges one or more HyperLogLog values into a single key.", "2.8.9",
     "O(N) to merge N HyperLogLogs, but with high constant times.", kNoSubcommands, kAclHyperLogLog,
     KeysFrom(PfmergeKeys)},
    {"pfdebug", PfdebugCommand, 3, kWrite | kDenyOom | kAdmin, 2, 2, 1, "hyperloglog",
     "Internal commands for debugging HyperLogLog values.", "2.8.9", "N/A", kNoSubcommands,
     kAclHyperLogLog, kKeysRead},
    {"pfselftest", PfselftestCommand, 1, kAdmin, 0, 0, 0, "hyperloglog",
     "An internal command for testing HyperLogLog values.", "2.8.9", "N/A", kNoSubcommands,
     kAclHyperLogLog},
};

}  // namespace

std::span<const CommandSpec> HllCommands() { return kHllCommands; }

}  // namespace mnemo::cmd
