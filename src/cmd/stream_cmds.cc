// stream_cmds.cc: the stream commands (layer: cmd). Handlers parse arguments, call the stream
// type API (db/stream_type.h: ds::Stream, its iterator, groups and PELs) and reply, following
// Redis 7.0's t_stream.c for argument order, errors, replies and propagation.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/stream_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;
using db::Stream;
using db::StreamConsumer;
using db::StreamGroup;
using db::StreamId;
using db::StreamIterator;
using db::StreamNack;
using db::StreamTrimArgs;

constexpr std::string_view kErrInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
constexpr std::string_view kErrNoKeyGroupHint =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";
constexpr std::string_view kErrEntriesRead = "ERR value for ENTRIESREAD must be positive or -1";

// Redis addReplySubcommandSyntaxError: the subcommand as typed.
void SubcommandSyntaxError(Context& ctx, std::string_view container) {
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.arg(1)) + "'. Try " + std::string(container) + " HELP.");
}

std::string IdString(const StreamId& id) { return ds::StreamIdToString(id); }

void ReplyId(Context& ctx, const StreamId& id) {
  char buf[ds::kStreamIdMaxChars];
  ctx.reply.Bulk(std::string_view(buf, ds::FormatStreamId(id, buf)));
}

// Parses an ID argument (Redis streamGenericParseIDOrReply); replies the error on failure.
std::optional<StreamId> IdArg(Context& ctx, std::string_view arg, uint64_t missing_seq,
                              bool strict) {
  auto p = ds::ParseStreamId(arg, missing_seq, strict);
  if (!p) {
    ctx.reply.Error(kErrInvalidId);
    return std::nullopt;
  }
  return p->id;
}

// A range bound: "(" makes it exclusive (Redis streamParseIntervalIDOrReply), moved by one.
std::optional<StreamId> IntervalArg(Context& ctx, std::string_view arg, uint64_t missing_seq,
                                    bool is_start) {
  if (arg.size() > 1 && arg[0] == '(') {
    auto id = IdArg(ctx, arg.substr(1), missing_seq, true);
    if (!id) return std::nullopt;
    if (is_start ? !ds::StreamIdIncr(&*id) : !ds::StreamIdDecr(&*id)) {
      ctx.reply.Error(is_start ? "ERR invalid start ID for the interval"
                               : "ERR invalid end ID for the interval");
      return std::nullopt;
    }
    return id;
  }
  return IdArg(ctx, arg, missing_seq, false);
}

Stream* StreamAt(Object* o) { return o == nullptr ? nullptr : &db::StreamOf(*o); }

// One entry as [id, [field, value, ...]].
void ReplyEntry(Context& ctx, StreamIterator& it) {
  ctx.reply.ArrayHeader(2);
  ReplyId(ctx, it.id());
  ctx.reply.ArrayHeader(2 * it.num_fields());
  ds::LpEntry f, v;
  char fbuf[ds::kLpIntBufSize], vbuf[ds::kLpIntBufSize];
  while (it.NextField(&f, &v)) {
    ctx.reply.Bulk(f.AsBytes(fbuf));
    ctx.reply.Bulk(v.AsBytes(vbuf));
  }
}

// The entries start..end (descending when rev), at most `count` (0: all), as an array.
size_t ReplyRange(Context& ctx, const Stream& s, const StreamId& start, const StreamId& end,
                  int64_t count, bool rev) {
  const size_t h = ctx.reply.BeginDeferred();
  size_t n = 0;
  StreamIterator it(s, start, end, rev);
  while ((count == 0 || static_cast<int64_t>(n) < count) && it.Next()) {
    ReplyEntry(ctx, it);
    ++n;
  }
  ctx.reply.EndDeferredArray(h, n);
  return n;
}

// Replies the single entry `id` as ReplyRange would (one element array contents, no header);
// returns false (nothing replied) when it does not exist.
bool ReplyOneEntry(Context& ctx, const Stream& s, const StreamId& id) {
  StreamIterator it(s, id, id, false);
  if (!it.Next()) return false;
  ReplyEntry(ctx, it);
  return true;
}

std::string NoGroupKeyError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}
std::string NoGroupError(std::string_view key, std::string_view group) {
  return "NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
         std::string(key) + "'";
}

// A consumer of `g`, created (announced "xgroup-createconsumer", propagated as XGROUP
// CREATECONSUMER) when missing. Its seen time is refreshed.
StreamConsumer* LookupOrCreateConsumer(Context& ctx, std::string_view key, std::string_view group,
                                       StreamGroup* g, std::string_view name) {
  const int64_t now = ctx.keyspace.now_ms();
  StreamConsumer* c = ds::StreamFindConsumer(*g, name);
  if (c == nullptr) {
    c = ds::StreamCreateConsumer(g, name, now);
    ctx.Changed(key, db::kNotifyStream, "xgroup-createconsumer");
    ctx.Propagate({"XGROUP", "CREATECONSUMER", key, group, name});
  }
  c->seen_time = now;
  return c;
}

// XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <id>:
// how Redis propagates a delivery or a claim (streamPropagateXCLAIM).
void PropagateXclaim(Context& ctx, std::string_view key, std::string_view group,
                     const StreamGroup& g, const StreamId& id, const StreamNack& nack) {
  if (!ctx.propagating()) return;
  ctx.Propagate(std::vector<std::string>{
      "XCLAIM", std::string(key), std::string(group),
      std::string(nack.consumer != nullptr ? nack.consumer->name() : std::string_view()), "0",
      IdString(id), "TIME", std::to_string(nack.delivery_time), "RETRYCOUNT",
      std::to_string(nack.delivery_count), "FORCE", "JUSTID", "LASTID", IdString(g.last_id)});
}

// XGROUP SETID <key> <group> <last id> ENTRIESREAD <n> (streamPropagateGroupID).
void PropagateGroupId(Context& ctx, std::string_view key, std::string_view group,
                      const StreamGroup& g) {
  if (!ctx.propagating()) return;
  ctx.Propagate(std::vector<std::string>{"XGROUP", "SETID", std::string(key), std::string(group),
                                         IdString(g.last_id), "ENTRIESREAD",
                                         std::to_string(g.entries_read)});
}

// ---- XADD XTRIM ------------------------------------------------------------------------------

struct AddTrimArgs {
  StreamTrimArgs trim;
  size_t trim_arg = 0;    // index of the MAXLEN/MINID value
  size_t approx_arg = 0;  // index of "~" (0: none)
  size_t limit_arg = 0;   // index of "LIMIT" (0: none)
  bool no_mkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
  size_t id_arg = 0;  // index of the ID (XADD)
};

// Redis streamParseAddOrTrimArgsOrReply. Returns false after replying.
bool ParseAddTrim(Context& ctx, bool xadd, AddTrimArgs* a) {
  using Strategy = StreamTrimArgs::Strategy;
  bool limit_given = false;
  size_t i = 2;
  for (; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - 1 - i;
    const std::string_view opt = ctx.arg(i);
    const bool is_maxlen = EqualsIgnoreCase(opt, "maxlen");
    if (xadd && opt == "*") {
      break;
    } else if ((is_maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      if (a->trim.strategy != Strategy::kNone) {
        ctx.reply.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      a->trim.approx = false;
      a->approx_arg = 0;
      const std::string_view next = ctx.arg(i + 1);
      if (more >= 2 && next == "~") {
        a->trim.approx = true;
        a->approx_arg = i + 1;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (is_maxlen) {
        auto n = IntArg(ctx, ctx.arg(i + 1));
        if (!n) return false;
        if (*n < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        a->trim.maxlen = *n;
        a->trim.strategy = Strategy::kMaxLen;
      } else {
        auto id = IdArg(ctx, ctx.arg(i + 1), 0, true);
        if (!id) return false;
        a->trim.minid = *id;
        a->trim.strategy = Strategy::kMinId;
      }
      ++i;
      a->trim_arg = i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return false;
      if (*n < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      a->trim.limit = *n;
      limit_given = true;
      a->limit_arg = i;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      auto p = ds::ParseStreamId(opt, 0, true, true);
      if (!p) {
        ctx.reply.Error(kErrInvalidId);
        return false;
      }
      a->id = p->id;
      a->seq_given = p->seq_given;
      a->id_given = true;
      break;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return false;
    }
  }
  a->id_arg = i;
  if (a->trim.limit != 0 && a->trim.strategy == Strategy::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && a->trim.strategy == Strategy::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!a->trim.approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (a->trim.approx) {
    a->trim.limit = 100 * ctx.keyspace.options().stream_node_max_entries;
    if (a->trim.limit <= 0) a->trim.limit = 10000;
  } else {
    a->trim.limit = 0;
  }
  return true;
}

// The arguments that reproduce an approximate trim exactly: "~" becomes "=", the MAXLEN/MINID
// value what is left, LIMIT goes (Redis streamRewriteApproxSpecifier/TrimArgument); the ID
// (index id_arg, when not SIZE_MAX) becomes `id`.
std::vector<std::string> RewriteTrim(Context& ctx, const AddTrimArgs& a, const Stream& s,
                                     bool rewrite_trim, size_t id_arg, const StreamId& id) {
  std::vector<std::string> out;
  out.reserve(ctx.argc());
  for (size_t i = 0; i < ctx.argc(); ++i) {
    if (rewrite_trim && a.limit_arg != 0 && (i == a.limit_arg || i == a.limit_arg + 1)) continue;
    if (rewrite_trim && i == a.approx_arg && a.approx_arg != 0) {
      out.emplace_back("=");
    } else if (rewrite_trim && i == a.trim_arg) {
      if (a.trim.strategy == StreamTrimArgs::Strategy::kMaxLen) {
        out.push_back(std::to_string(s.length()));
      } else {
        out.push_back(IdString(s.EdgeId(true, false)));
      }
    } else if (i == id_arg) {
      out.push_back(IdString(id));
    } else {
      out.emplace_back(ctx.arg(i));
    }
  }
  return out;
}

void XaddCommand(Context& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrim(ctx, true, &a)) return;
  const size_t field_pos = a.id_arg + 1;
  if (ctx.argc() < field_pos + 2 || (ctx.argc() - field_pos) % 2 == 1) {
    ctx.reply.Error(protocol::WrongArity("xadd"));
    return;
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const std::string_view key = ctx.arg(1);
  Object* o = ctx.db().LookupWrite(key);
  if (WrongType(ctx, o, ObjType::kStream)) return;
  if (o == nullptr) {
    if (a.no_mkstream) {
      ctx.reply.Null();
      return;
    }
  }
  const Stream* cur = StreamAt(o);
  const StreamId last = cur != nullptr ? cur->last_id() : StreamId::Min();
  if (last == StreamId::Max()) {
    ctx.reply.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamId id;
  bool ok = true;
  if (a.id_given) {
    if (a.seq_given) {
      id = a.id;
    } else if (last.ms == a.id.ms) {
      if (last.seq == UINT64_MAX) {
        ok = false;
      } else {
        id = StreamId{last.ms, last.seq + 1};
      }
    } else {
      id = a.id;
    }
  } else {
    const auto now = static_cast<uint64_t>(UnixTimeMs());
    if (last.ms >= now) {
      id = last;
      ds::StreamIdIncr(&id);
    } else {
      id = StreamId{now, 0};
    }
  }
  if (!ok || id <= last) {
    ctx.reply.Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  size_t total = 0;
  for (size_t i = field_pos; i < ctx.argc(); ++i) total += ctx.arg(i).size();
  if (total > ds::kStreamListpackMaxSize) {
    ctx.reply.Error("ERR Elements are too large to be stored");
    return;
  }
  if (o == nullptr) {
    o = db::NewStreamObject(key);
    ctx.db().Add(o);
  }
  Stream& s = db::StreamOf(*o);
  s.Append(id, ctx.argv.subspan(field_pos), db::StreamLimits(ctx.keyspace));
  ReplyId(ctx, id);
  ctx.Changed(key, db::kNotifyStream, "xadd");
  bool rewrite_trim = false;
  if (a.trim.strategy != StreamTrimArgs::Strategy::kNone) {
    if (s.Trim(a.trim) > 0) ctx.Event(key, db::kNotifyStream, "xtrim");
    rewrite_trim = a.trim.approx;
  }
  const bool rewrite_id = !a.id_given || !a.seq_given;
  if (rewrite_trim || rewrite_id) {
    ctx.PropagateAs(RewriteTrim(ctx, a, s, rewrite_trim, rewrite_id ? a.id_arg : SIZE_MAX, id));
  }
}

void XtrimCommand(Context& ctx) {
  const std::string_view key = ctx.arg(1);
  AddTrimArgs a;
  if (!ParseAddTrim(ctx, false, &a)) return;
  Object* o = ctx.db().LookupWrite(key);
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kStream)) return;
  Stream& s = db::StreamOf(*o);
  const int64_t deleted = s.Trim(a.trim);
  if (deleted > 0) {
    ctx.Changed(key, db::kNotifyStream, "xtrim", static_cast<uint64_t>(deleted));
    if (a.trim.approx) ctx.PropagateAs(RewriteTrim(ctx, a, s, true, SIZE_MAX, StreamId()));
  }
  ctx.reply.Integer(deleted);
}

// ---- XLEN XRANGE XREVRANGE XDEL ---------------------------------------------------------------

void XlenCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kStream)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::StreamOf(*o).length()));
}

void XrangeGeneric(Context& ctx, bool rev) {
  auto start = IntervalArg(ctx, ctx.arg(rev ? 3 : 2), 0, true);
  if (!start) return;
  auto end = IntervalArg(ctx, ctx.arg(rev ? 2 : 3), UINT64_MAX, false);
  if (!end) return;
  int64_t count = -1;
  for (size_t j = 4; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
      auto n = IntArg(ctx, ctx.arg(j + 1));
      if (!n) return;
      count = *n < 0 ? 0 : *n;
      ++j;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (WrongType(ctx, o, ObjType::kStream)) return;
  if (count == 0) {
    ctx.reply.NullArray();
    return;
  }
  ReplyRange(ctx, db::StreamOf(*o), *start, *end, count == -1 ? 0 : count, rev);
}

void XrangeCommand(Context& ctx) { XrangeGeneric(ctx, false); }
void XrevrangeCommand(Context& ctx) { XrangeGeneric(ctx, true); }

void XdelCommand(Context& ctx) {
  const std::string_view key = ctx.arg(1);
  Object* o = ctx.db().LookupWrite(key);
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kStream)) return;
  std::vector<StreamId> ids;
  ids.reserve(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    auto id = IdArg(ctx, ctx.arg(j), 0, true);
    if (!id) return;
    ids.push_back(*id);
  }
  Stream& s = db::StreamOf(*o);
  int64_t deleted = 0;
  bool first_entry = false;
  for (const StreamId& id : ids) {
    if (!s.DeleteEntry(id)) continue;
    if (id == s.first_id()) first_entry = true;
    if (id > s.max_deleted_id()) s.set_max_deleted_id(id);
    ++deleted;
  }
  if (deleted > 0) {
    if (s.length() == 0) {
      s.set_first_id(StreamId::Min());
    } else if (first_entry) {
      s.set_first_id(s.EdgeId(true, true));
    }
    ctx.Changed(key, db::kNotifyStream, "xdel", static_cast<uint64_t>(deleted));
  }
  ctx.reply.Integer(deleted);
}

// ---- XREAD XREADGROUP --------------------------------------------------------------------------

// A BLOCK timeout in milliseconds as an absolute deadline (0: forever), -1 when not given
// (Redis getTimeoutFromObjectOrReply with UNIT_MILLISECONDS).
std::optional<int64_t> BlockArg(Context& ctx, std::string_view arg) {
  auto ms = ParseInt64(arg);
  if (!ms) {
    ctx.reply.Error(protocol::kErrTimeoutNotInteger);
    return std::nullopt;
  }
  if (*ms < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return std::nullopt;
  }
  if (*ms == 0) return 0;
  const int64_t now = UnixTimeMs();
  if (*ms > INT64_MAX - now) {
    ctx.reply.Error("ERR timeout is out of range");
    return std::nullopt;
  }
  return now + *ms;
}

void XreadGeneric(Context& ctx, bool xreadgroup) {
  std::optional<int64_t> deadline;  // nullopt: no BLOCK
  int64_t count = 0;
  size_t streams_arg = 0;
  size_t nstreams = 0;
  std::optional<std::string_view> group_name, consumer_name;
  bool noack = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - i - 1;
    const std::string_view o = ctx.arg(i);
    if (EqualsIgnoreCase(o, "BLOCK") && more > 0) {
      ++i;
      deadline = BlockArg(ctx, ctx.arg(i));
      if (!deadline) return;
    } else if (EqualsIgnoreCase(o, "COUNT") && more > 0) {
      ++i;
      auto n = IntArg(ctx, ctx.arg(i));
      if (!n) return;
      count = *n < 0 ? 0 : *n;
    } else if (EqualsIgnoreCase(o, "STREAMS") && more > 0) {
      streams_arg = i + 1;
      nstreams = ctx.argc() - streams_arg;
      if (nstreams % 2 != 0) {
        ctx.reply.Error(xreadgroup ? "ERR Unbalanced XREADGROUP list of streams: for each stream "
                                     "key an ID or '>' must be specified."
                                   : "ERR Unbalanced XREAD list of streams: for each stream key "
                                     "an ID or '$' must be specified.");
        return;
      }
      nstreams /= 2;
      break;
    } else if (EqualsIgnoreCase(o, "GROUP") && more >= 2) {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      group_name = ctx.arg(i + 1);
      consumer_name = ctx.arg(i + 2);
      i += 2;
    } else if (EqualsIgnoreCase(o, "NOACK")) {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      noack = true;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (streams_arg == 0) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (xreadgroup && !group_name) {
    ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");
    return;
  }

  // Resolve the IDs (and groups).
  constexpr StreamId kNewOnly = StreamId::Max();  // ">"
  std::vector<StreamId> ids(nstreams);
  std::vector<StreamGroup*> groups(nstreams, nullptr);
  std::vector<size_t> dollar_args;
  for (size_t k = 0; k < nstreams; ++k) {
    const size_t id_arg = streams_arg + nstreams + k;
    const std::string_view key = ctx.arg(streams_arg + k);
    Object* o = ctx.db().LookupRead(key);
    if (WrongType(ctx, o, ObjType::kStream)) return;
    if (group_name) {
      StreamGroup* g = o != nullptr ? db::StreamOf(*o).FindGroup(*group_name) : nullptr;
      if (g == nullptr) {
        ctx.reply.Error(NoGroupKeyError(key, *group_name) + " in XREADGROUP with GROUP option");
        return;
      }
      groups[k] = g;
    }
    const std::string_view arg = ctx.arg(id_arg);
    if (arg == "$") {
      if (xreadgroup) {
        ctx.reply.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
        return;
      }
      ids[k] = o != nullptr ? db::StreamOf(*o).last_id() : StreamId::Min();
      dollar_args.push_back(id_arg);
      continue;
    }
    if (arg == ">") {
      if (!xreadgroup) {
        ctx.reply.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
        return;
      }
      ids[k] = kNewOnly;
      continue;
    }
    auto id = IdArg(ctx, arg, 0, true);
    if (!id) return;
    ids[k] = *id;
  }

  // Serve what can be served now.
  if (xreadgroup) ctx.PreventPropagation();
  const int64_t now = ctx.keyspace.now_ms();
  size_t served = 0;
  size_t handle = 0;
  for (size_t k = 0; k < nstreams; ++k) {
    const std::string_view key = ctx.arg(streams_arg + k);
    Object* o = ctx.db().LookupRead(key);
    if (o == nullptr) continue;
    Stream& s = db::StreamOf(*o);
    StreamId gt = ids[k];
    bool serve = false;
    bool history = false;
    StreamConsumer* consumer = nullptr;
    StreamGroup* g = groups[k];
    if (g != nullptr) {
      if (gt != kNewOnly) {
        serve = history = true;
      } else if (s.length() > 0 && s.EdgeId(false, true) > g->last_id) {
        serve = true;
        gt = g->last_id;
      }
    } else if (s.length() > 0 && s.EdgeId(false, true) > gt) {
      serve = true;
    }
    if (!serve) continue;
    // The consumer exists once it is served (Redis 7.0 creates it there).
    if (g != nullptr) consumer = LookupOrCreateConsumer(ctx, key, *group_name, g, *consumer_name);
    if (served++ == 0) handle = ctx.reply.BeginDeferred();
    if (ctx.reply.resp() == 2) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    StreamId start = gt;
    if (g == nullptr) {
      ds::StreamIdIncr(&start);
      ReplyRange(ctx, s, start, StreamId::Max(), count, false);
      continue;
    }
    ctx.keyspace.changes().AddDirty(1);
    if (history) {
      // The consumer's own pending entries after `gt` (Redis streamReplyWithRangeFromConsumerPEL).
      ds::StreamIdIncr(&start);
      const size_t h = ctx.reply.BeginDeferred();
      size_t n = 0;
      for (auto p = consumer->pel.LowerBound(start);
           consumer->pel.Valid(p) && (count == 0 || static_cast<int64_t>(n) < count);
           p = consumer->pel.Next(p)) {
        const StreamId id = consumer->pel.KeyAt(p);
        if (!ReplyOneEntry(ctx, s, id)) {
          ctx.reply.ArrayHeader(2);
          ReplyId(ctx, id);
          ctx.reply.NullArray();
        } else {
          StreamNack* nack = g->pel.Find(id);
          nack->delivery_time = now;
          ++nack->delivery_count;
        }
        ++n;
      }
      ctx.reply.EndDeferredArray(h, n);
      continue;
    }
    // New entries: deliver them to the consumer (Redis streamReplyWithRange with a group).
    ds::StreamIdIncr(&start);
    std::vector<StreamId> delivered;
    {
      const size_t h = ctx.reply.BeginDeferred();
      size_t n = 0;
      StreamIterator it(s, start, StreamId::Max(), false);
      while ((count == 0 || static_cast<int64_t>(n) < count) && it.Next()) {
        const StreamId id = it.id();
        if (id > g->last_id) {
          if (g->entries_read != ds::kStreamInvalidEntriesRead &&
              !s.RangeHasTombstones(&id, nullptr)) {
            ++g->entries_read;
          } else if (s.entries_added() != 0) {
            g->entries_read = s.EstimateDistanceFromFirstEverEntry(id);
          }
          g->last_id = id;
        }
        ReplyEntry(ctx, it);
        delivered.push_back(id);
        ++n;
      }
      ctx.reply.EndDeferredArray(h, n);
    }
    for (const StreamId& id : delivered) {
      if (noack) continue;
      StreamNack* nack = ds::StreamPelDeliver(g, consumer, id, now);
      PropagateXclaim(ctx, key, *group_name, *g, id, *nack);
    }
    consumer->active_time = now;
    if (!delivered.empty()) PropagateGroupId(ctx, key, *group_name, *g);
  }
  if (served > 0) {
    if (ctx.reply.resp() == 2) {
      ctx.reply.EndDeferredArray(handle, served);
    } else {
      ctx.reply.EndDeferredMap(handle, served);
    }
    return;
  }
  if (deadline && ctx.CanBlock()) {
    const bool first_time = !ctx.client.blocked.reprocessing;
    ctx.Block(ctx.argv.subspan(streams_arg, nstreams), *deadline, TimeoutReply::kNullArray);
    // "$" means the last ID when the command first ran: keep it resolved for the re-runs.
    if (first_time) {
      for (size_t k = 0; k < nstreams; ++k) {
        const size_t id_arg = streams_arg + nstreams + k;
        if (std::find(dollar_args.begin(), dollar_args.end(), id_arg) != dollar_args.end()) {
          ctx.client.blocked.argv[id_arg] = IdString(ids[k]);
        }
      }
    }
    return;
  }
  ctx.reply.NullArray();
}

void XreadCommand(Context& ctx) { XreadGeneric(ctx, false); }
void XreadgroupCommand(Context& ctx) { XreadGeneric(ctx, true); }

// ---- XGROUP ----------------------------------------------------------------------------------

// The stream and group of an XGROUP subcommand (Redis xgroupCommand's common checks). Returns
// false after replying. `need_group`: SETID, CREATECONSUMER and DELCONSUMER.
bool XgroupLookup(Context& ctx, bool mkstream, bool need_group, Object** o, StreamGroup** g) {
  *o = ctx.db().LookupWrite(ctx.arg(2));
  if (WrongType(ctx, *o, ObjType::kStream)) return false;
  *g = nullptr;
  if (mkstream) return true;
  if (*o == nullptr) {
    ctx.reply.Error(kErrNoKeyGroupHint);
    return false;
  }
  *g = db::StreamOf(**o).FindGroup(ctx.arg(3));
  if (*g == nullptr && need_group) {
    ctx.reply.Error(NoGroupError(ctx.arg(2), ctx.arg(3)));
    return false;
  }
  return true;
}

void XgroupCreateCommand(Context& ctx) {
  if (ctx.argc() > 8) {
    SubcommandSyntaxError(ctx, "XGROUP");
    return;
  }
  bool mkstream = false;
  int64_t entries_read = ds::kStreamInvalidEntriesRead;
  for (size_t i = 5; i < ctx.argc();) {
    if (EqualsIgnoreCase(ctx.arg(i), "MKSTREAM")) {
      mkstream = true;
      ++i;
    } else if (EqualsIgnoreCase(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return;
      if (*n < 0 && *n != ds::kStreamInvalidEntriesRead) {
        ctx.reply.Error(kErrEntriesRead);
        return;
      }
      entries_read = *n;
      i += 2;
    } else {
      SubcommandSyntaxError(ctx, "XGROUP");
      return;
    }
  }
  Object* o;
  StreamGroup* g;
  if (!XgroupLookup(ctx, mkstream, false, &o, &g)) return;
  StreamId id;
  if (ctx.arg(4) == "$") {
    id = o != nullptr ? db::StreamOf(*o).last_id() : StreamId::Min();
  } else {
    auto p = IdArg(ctx, ctx.arg(4), 0, true);
    if (!p) return;
    id = *p;
  }
  const std::string_view key = ctx.arg(2);
  if (o == nullptr) {
    o = db::NewStreamObject(key);
    ctx.db().Add(o);
  }
  if (db::StreamOf(*o).CreateGroup(ctx.arg(3), id, entries_read) == nullptr) {
    ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  ctx.reply.Ok();
  ctx.Changed(key, db::kNotifyStream, "xgroup-create");
}

void XgroupSetidCommand(Context& ctx) {
  if (ctx.argc() != 5 && ctx.argc() != 7) {
    SubcommandSyntaxError(ctx, "XGROUP");
    return;
  }
  int64_t entries_read = ds::kStreamInvalidEntriesRead;
  if (ctx.argc() == 7) {
    if (!EqualsIgnoreCase(ctx.arg(5), "ENTRIESREAD")) {
      SubcommandSyntaxError(ctx, "XGROUP");
      return;
    }
    auto n = IntArg(ctx, ctx.arg(6));
    if (!n) return;
    if (*n < 0 && *n != ds::kStreamInvalidEntriesRead) {
      ctx.reply.Error(kErrEntriesRead);
      return;
    }
    entries_read = *n;
  }
  Object* o;
  StreamGroup* g;
  if (!XgroupLookup(ctx, false, true, &o, &g)) return;
  StreamId id;
  if (ctx.arg(4) == "$") {
    id = db::StreamOf(*o).last_id();
  } else {
    auto p = IdArg(ctx, ctx.arg(4), 0, false);
    if (!p) return;
    id = *p;
  }
  g->last_id = id;
  g->entries_read = entries_read;
  ctx.reply.Ok();
  ctx.Changed(ctx.arg(2), db::kNotifyStream, "xgroup-setid");
}

void XgroupDestroyCommand(Context& ctx) {
  Object* o;
  StreamGroup* g;
  if (!XgroupLookup(ctx, false, false, &o, &g)) return;
  if (g == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  db::StreamOf(*o).DestroyGroup(ctx.arg(3));
  ctx.reply.Integer(1);
  ctx.Changed(ctx.arg(2), db::kNotifyStream, "xgroup-destroy");
}

void XgroupCreateconsumerCommand(Context& ctx) {
  Object* o;
  StreamGroup* g;
  if (!XgroupLookup(ctx, false, true, &o, &g)) return;
  StreamConsumer* c = ds::StreamCreateConsumer(g, ctx.arg(4), ctx.keyspace.now_ms());
  if (c != nullptr) ctx.Changed(ctx.arg(2), db::kNotifyStream, "xgroup-createconsumer");
  ctx.reply.Integer(c != nullptr ? 1 : 0);
}

void XgroupDelconsumerCommand(Context& ctx) {
  Object* o;
  StreamGroup* g;
  if (!XgroupLookup(ctx, false, true, &o, &g)) return;
  StreamConsumer* c = ds::StreamFindConsumer(*g, ctx.arg(4));
  int64_t pending = 0;
  if (c != nullptr) {
    pending = static_cast<int64_t>(ds::StreamDeleteConsumer(g, c));
    ctx.Changed(ctx.arg(2), db::kNotifyStream, "xgroup-delconsumer");
  }
  ctx.reply.Integer(pending);
}

void XgroupHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

// ---- XSETID ------------------------------------------------------------------------------------

void XsetidCommand(Context& ctx) {
  auto id = IdArg(ctx, ctx.arg(2), 0, true);
  if (!id) return;
  StreamId max_xdel;
  bool max_xdel_given = false;
  int64_t entries_added = -1;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - 1 - i;
    if (EqualsIgnoreCase(ctx.arg(i), "ENTRIESADDED") && more > 0) {
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return;
      if (*n < 0) {
        ctx.reply.Error("ERR entries_added must be positive");
        return;
      }
      entries_added = *n;
      ++i;
    } else if (EqualsIgnoreCase(ctx.arg(i), "MAXDELETEDID") && more > 0) {
      auto m = IdArg(ctx, ctx.arg(i + 1), 0, true);
      if (!m) return;
      if (*id < *m) {
        ctx.reply.Error(
            "ERR The ID specified in XSETID is smaller than the provided "
            "max_deleted_entry_id");
        return;
      }
      max_xdel = *m;
      max_xdel_given = true;
      ++i;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  const std::string_view key = ctx.arg(1);
  Object* o = ctx.db().LookupWrite(key);
  if (o == nullptr) {
    ctx.reply.Error(protocol::kErrNoSuchKey);
    return;
  }
  if (WrongType(ctx, o, ObjType::kStream)) return;
  Stream& s = db::StreamOf(*o);
  if (s.length() > 0) {
    if (*id < s.EdgeId(false, true)) {
      ctx.reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && static_cast<int64_t>(s.length()) > entries_added) {
      ctx.reply.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s.set_last_id(*id);
  if (entries_added != -1) s.set_entries_added(static_cast<uint64_t>(entries_added));
  if (max_xdel_given) s.set_max_deleted_id(max_xdel);
  ctx.reply.Ok();
  ctx.Changed(key, db::kNotifyStream, "xsetid");
}

// ---- XACK XPENDING XCLAIM XAUTOCLAIM ---------------------------------------------------------

void XackCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kStream)) return;
  StreamGroup* g = o != nullptr ? db::StreamOf(*o).FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamId> ids;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    auto id = IdArg(ctx, ctx.arg(j), 0, true);
    if (!id) return;
    ids.push_back(*id);
  }
  int64_t acked = 0;
  for (const StreamId& id : ids) acked += ds::StreamPelRemove(g, id) ? 1 : 0;
  if (acked > 0) {
    ctx.keyspace.changes().AddDirty(static_cast<uint64_t>(acked));
    ctx.keyspace.changes().Modified(ctx.db(), ctx.arg(1));
  }
  ctx.reply.Integer(acked);
}

void XpendingCommand(Context& ctx) {
  const bool summary = ctx.argc() == 3;
  if (ctx.argc() != 3 && (ctx.argc() < 6 || ctx.argc() > 9)) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  int64_t min_idle = 0;
  int64_t count = 0;
  StreamId start, end;
  std::optional<std::string_view> consumer_name;
  if (!summary) {
    size_t startidx = 3;
    if (EqualsIgnoreCase(ctx.arg(3), "IDLE")) {
      auto n = IntArg(ctx, ctx.arg(4));
      if (!n) return;
      min_idle = *n;
      if (ctx.argc() < 8) {
        ctx.reply.Error(protocol::kErrSyntax);
        return;
      }
      startidx += 2;
    }
    auto n = IntArg(ctx, ctx.arg(startidx + 2));
    if (!n) return;
    count = *n < 0 ? 0 : *n;
    auto s = IntervalArg(ctx, ctx.arg(startidx), 0, true);
    if (!s) return;
    auto e = IntervalArg(ctx, ctx.arg(startidx + 1), UINT64_MAX, false);
    if (!e) return;
    start = *s;
    end = *e;
    if (startidx + 3 < ctx.argc()) consumer_name = ctx.arg(startidx + 3);
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kStream)) return;
  StreamGroup* g = o != nullptr ? db::StreamOf(*o).FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) {
    ctx.reply.Error(NoGroupKeyError(ctx.arg(1), ctx.arg(2)));
    return;
  }
  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ReplyId(ctx, g->pel.KeyAt(g->pel.Begin()));
    ReplyId(ctx, g->pel.KeyAt(g->pel.Last()));
    const size_t h = ctx.reply.BeginDeferred();
    size_t n = 0;
    g->consumers.ForEach([&](const std::string_view& name, StreamConsumer* const& c) {
      if (c->pel.empty()) return true;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(c->pel.size()));
      ++n;
      return true;
    });
    ctx.reply.EndDeferredArray(h, n);
    return;
  }
  StreamConsumer* consumer = nullptr;
  if (consumer_name) {
    consumer = ds::StreamFindConsumer(*g, *consumer_name);
    if (consumer == nullptr) {
      ctx.reply.EmptyArray();
      return;
    }
  }
  const int64_t now = ctx.keyspace.now_ms();
  const size_t h = ctx.reply.BeginDeferred();
  size_t n = 0;
  auto emit = [&](const StreamId& id, const StreamNack& nack) {
    if (min_idle != 0 && now - nack.delivery_time < min_idle) return;
    ctx.reply.ArrayHeader(4);
    ReplyId(ctx, id);
    ctx.reply.Bulk(nack.consumer->name());
    ctx.reply.Integer(std::max<int64_t>(0, now - nack.delivery_time));
    ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
    ++n;
    --count;
  };
  if (consumer != nullptr) {
    for (auto p = consumer->pel.LowerBound(start);
         count > 0 && consumer->pel.Valid(p) && !(end < consumer->pel.KeyAt(p));
         p = consumer->pel.Next(p)) {
      const StreamId id = consumer->pel.KeyAt(p);
      emit(id, *g->pel.Find(id));
    }
  } else {
    for (auto p = g->pel.LowerBound(start);
         count > 0 && g->pel.Valid(p) && !(end < g->pel.KeyAt(p)); p = g->pel.Next(p)) {
      emit(g->pel.KeyAt(p), g->pel.ValueAt(p));
    }
  }
  ctx.reply.EndDeferredArray(h, n);
}

// Gives the pending entry `id` (nack in the group PEL) to `consumer` with a delivery time and
// count (the common part of XCLAIM and XAUTOCLAIM).
void Claim(StreamGroup* g, StreamConsumer* consumer, const StreamId& id, int64_t delivery_time,
           int64_t retrycount, bool justid) {
  StreamNack* nack = g->pel.Find(id);
  nack->delivery_time = delivery_time;
  if (retrycount >= 0) {
    nack->delivery_count = static_cast<uint64_t>(retrycount);
  } else if (!justid) {
    ++nack->delivery_count;
  }
  if (nack->consumer != consumer) {
    if (nack->consumer == nullptr) {
      nack->consumer = consumer;
      consumer->pel.Insert(id, ds::StreamEmpty{});
    } else {
      ds::StreamPelAssign(g, id, consumer);
    }
  }
}

void XclaimCommand(Context& ctx) {
  const std::string_view key = ctx.arg(1), group = ctx.arg(2), name = ctx.arg(3);
  Object* o = ctx.db().LookupRead(key);
  if (WrongType(ctx, o, ObjType::kStream)) return;
  StreamGroup* g = o != nullptr ? db::StreamOf(*o).FindGroup(group) : nullptr;
  if (g == nullptr) {
    ctx.reply.Error(NoGroupKeyError(key, group));
    return;
  }
  auto min_idle = IntArg(ctx, ctx.arg(4), "ERR Invalid min-idle-time argument for XCLAIM");
  if (!min_idle) return;
  if (*min_idle < 0) *min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < ctx.argc(); ++j) {
    auto p = ds::ParseStreamId(ctx.arg(j), 0, true);
    if (!p) break;
    ids.push_back(p->id);
  }
  const int64_t now = ctx.keyspace.now_ms();
  int64_t retrycount = -1;
  int64_t delivery_time = -1;
  bool force = false, justid = false;
  StreamId last_id;
  for (; j < ctx.argc(); ++j) {
    const size_t more = ctx.argc() - 1 - j;
    const std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "JUSTID")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "IDLE") && more > 0) {
      auto n = IntArg(ctx, ctx.arg(++j), "ERR Invalid IDLE option argument for XCLAIM");
      if (!n) return;
      delivery_time = now - *n;
    } else if (EqualsIgnoreCase(opt, "TIME") && more > 0) {
      auto n = IntArg(ctx, ctx.arg(++j), "ERR Invalid TIME option argument for XCLAIM");
      if (!n) return;
      delivery_time = *n;
    } else if (EqualsIgnoreCase(opt, "RETRYCOUNT") && more > 0) {
      auto n = IntArg(ctx, ctx.arg(++j), "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (!n) return;
      retrycount = *n;
    } else if (EqualsIgnoreCase(opt, "LASTID") && more > 0) {
      auto id = IdArg(ctx, ctx.arg(++j), 0, true);
      if (!id) return;
      last_id = *id;
    } else {
      ctx.reply.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
      return;
    }
  }
  ctx.PreventPropagation();
  bool propagate_last_id = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    propagate_last_id = true;
  }
  if (delivery_time != -1) {
    if (delivery_time < 0 || delivery_time > now) delivery_time = now;
  } else {
    delivery_time = now;
  }
  Stream& s = db::StreamOf(*o);
  StreamConsumer* consumer = nullptr;
  const size_t h = ctx.reply.BeginDeferred();
  size_t n = 0;
  uint64_t dirty = 0;
  for (const StreamId& id : ids) {
    StreamNack* nack = g->pel.Find(id);
    if (!s.EntryExists(id)) {
      if (nack != nullptr) {
        PropagateXclaim(ctx, key, group, *g, id, *nack);
        propagate_last_id = false;
        ++dirty;
        ds::StreamPelRemove(g, id);
      }
      continue;
    }
    if (force && nack == nullptr) {
      ds::StreamPelInsertLoaded(g, id, StreamNack{now, 0, nullptr});
      nack = g->pel.Find(id);
    }
    if (nack == nullptr) continue;
    if (nack->consumer != nullptr && *min_idle != 0 && now - nack->delivery_time < *min_idle) {
      continue;
    }
    if (consumer == nullptr) consumer = LookupOrCreateConsumer(ctx, key, group, g, name);
    Claim(g, consumer, id, delivery_time, retrycount, justid);
    if (justid) {
      ReplyId(ctx, id);
    } else if (!ReplyOneEntry(ctx, s, id)) {
      ctx.reply.Null();
    }
    ++n;
    PropagateXclaim(ctx, key, group, *g, id, *g->pel.Find(id));
    propagate_last_id = false;
    ++dirty;
  }
  if (propagate_last_id) {
    PropagateGroupId(ctx, key, group, *g);
    ++dirty;
  }
  ctx.reply.EndDeferredArray(h, n);
  if (dirty > 0) ctx.keyspace.changes().AddDirty(dirty);
}

void XautoclaimCommand(Context& ctx) {
  const std::string_view key = ctx.arg(1), group = ctx.arg(2), name = ctx.arg(3);
  auto min_idle = IntArg(ctx, ctx.arg(4), "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (!min_idle) return;
  if (*min_idle < 0) *min_idle = 0;
  auto start = IntervalArg(ctx, ctx.arg(5), 0, true);
  if (!start) return;
  constexpr int64_t kAttemptsFactor = 10;
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < ctx.argc(); ++j) {
    const size_t more = ctx.argc() - 1 - j;
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && more > 0) {
      auto n = RangedIntArg(ctx, ctx.arg(j + 1), 1, INT64_MAX / 16, "ERR COUNT must be > 0");
      if (!n) return;
      count = *n;
      ++j;
    } else if (EqualsIgnoreCase(ctx.arg(j), "JUSTID")) {
      justid = true;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  Object* o = ctx.db().LookupRead(key);
  if (WrongType(ctx, o, ObjType::kStream)) return;
  StreamGroup* g = o != nullptr ? db::StreamOf(*o).FindGroup(group) : nullptr;
  if (g == nullptr) {
    ctx.reply.Error(NoGroupKeyError(key, group));
    return;
  }
  ctx.PreventPropagation();
  Stream& s = db::StreamOf(*o);
  const int64_t now = ctx.keyspace.now_ms();
  int64_t attempts = count * kAttemptsFactor;
  StreamConsumer* consumer = nullptr;
  std::vector<StreamId> claimed, deleted;
  bool first = true;
  bool eof = false;
  StreamId last;
  uint64_t dirty = 0;
  while (attempts-- > 0 && count > 0) {
    auto p = first ? g->pel.LowerBound(*start) : g->pel.UpperBound(last);
    first = false;
    if (!g->pel.Valid(p)) {
      eof = true;
      break;
    }
    const StreamId id = g->pel.KeyAt(p);
    last = id;
    StreamNack& nack = g->pel.ValueAt(p);
    if (!s.EntryExists(id)) {
      PropagateXclaim(ctx, key, group, *g, id, nack);
      ++dirty;
      ds::StreamPelRemove(g, id);
      deleted.push_back(id);
      --count;
      continue;
    }
    if (*min_idle != 0 && now - nack.delivery_time < *min_idle) continue;
    if (consumer == nullptr) consumer = LookupOrCreateConsumer(ctx, key, group, g, name);
    Claim(g, consumer, id, now, -1, justid);
    claimed.push_back(id);
    --count;
    PropagateXclaim(ctx, key, group, *g, id, *g->pel.Find(id));
    ++dirty;
  }
  auto next = first ? g->pel.LowerBound(*start) : g->pel.UpperBound(last);
  const StreamId cursor = !eof && g->pel.Valid(next) ? g->pel.KeyAt(next) : StreamId::Min();
  ctx.reply.ArrayHeader(3);
  ReplyId(ctx, cursor);
  ctx.reply.ArrayHeader(claimed.size());
  for (const StreamId& id : claimed) {
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyOneEntry(ctx, s, id);
    }
  }
  ctx.reply.ArrayHeader(deleted.size());
  for (const StreamId& id : deleted) ReplyId(ctx, id);
  if (dirty > 0) ctx.keyspace.changes().AddDirty(dirty);
}

// ---- XINFO
// ---------------------------------------------------------------------------------------

// The number of nodes Redis's radix tree would have for these 16-byte keys (sorted): a leaf per
// key, a branching node per prefix with several next bytes, a compressed node per run of single
// next bytes (XINFO STREAM radix-tree-nodes; Mnemo indexes nodes without a radix tree).
size_t RaxNodes(const std::vector<std::array<uint8_t, 16>>& keys, size_t lo, size_t hi,
                size_t depth) {
  if (depth == 16) return 1;
  const auto& a = keys[lo];
  const auto& b = keys[hi - 1];
  if (a[depth] == b[depth]) {
    size_t e = depth;
    while (e < 16 && a[e] == b[e]) ++e;
    return 1 + RaxNodes(keys, lo, hi, e);
  }
  size_t total = 1;
  size_t i = lo;
  while (i < hi) {
    size_t j = i + 1;
    while (j < hi && keys[j][depth] == keys[i][depth]) ++j;
    total += RaxNodes(keys, i, j, depth + 1);
    i = j;
  }
  return total;
}

size_t RaxNodeCount(const Stream& s) {
  std::vector<std::array<uint8_t, 16>> keys;
  keys.reserve(s.node_count());
  s.ForEachNode([&](const StreamId& id, const uint8_t*) {
    std::array<uint8_t, 16> k;
    ds::EncodeStreamIdBigEndian(id, k.data());
    keys.push_back(k);
  });
  if (keys.empty()) return 1;
  return RaxNodes(keys, 0, keys.size(), 0);
}

void ReplyLag(Context& ctx, const Stream& s, const StreamGroup& g) {
  if (s.entries_added() == 0) {
    ctx.reply.Integer(0);
    return;
  }
  if (g.entries_read != ds::kStreamInvalidEntriesRead &&
      !s.RangeHasTombstones(&g.last_id, nullptr)) {
    ctx.reply.Integer(static_cast<int64_t>(s.entries_added()) - g.entries_read);
    return;
  }
  const int64_t read = s.EstimateDistanceFromFirstEverEntry(g.last_id);
  if (read != ds::kStreamInvalidEntriesRead) {
    ctx.reply.Integer(static_cast<int64_t>(s.entries_added()) - read);
  } else {
    ctx.reply.Null();
  }
}

void ReplyEntriesRead(Context& ctx, const StreamGroup& g) {
  if (g.entries_read != ds::kStreamInvalidEntriesRead) {
    ctx.reply.Integer(g.entries_read);
  } else {
    ctx.reply.Null();
  }
}

Object* XinfoKey(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(2));
  if (o == nullptr) {
    ctx.reply.Error(protocol::kErrNoSuchKey);
    return nullptr;
  }
  if (WrongType(ctx, o, ObjType::kStream)) return nullptr;
  return o;
}

void XinfoConsumersCommand(Context& ctx) {
  Object* o = XinfoKey(ctx);
  if (o == nullptr) return;
  StreamGroup* g = db::StreamOf(*o).FindGroup(ctx.arg(3));
  if (g == nullptr) {
    ctx.reply.Error(NoGroupError(ctx.arg(2), ctx.arg(3)));
    return;
  }
  const int64_t now = ctx.keyspace.now_ms();
  ctx.reply.ArrayHeader(g->consumers.size());
  g->consumers.ForEach([&](const std::string_view& name, StreamConsumer* const& c) {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(std::max<int64_t>(0, now - c->seen_time));
    return true;
  });
}

void XinfoGroupsCommand(Context& ctx) {
  Object* o = XinfoKey(ctx);
  if (o == nullptr) return;
  const Stream& s = db::StreamOf(*o);
  ctx.reply.ArrayHeader(s.groups().size());
  s.groups().ForEach([&](const std::string_view& name, StreamGroup* const& g) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(g->consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, s, *g);
    return true;
  });
}

void XinfoStreamCommand(Context& ctx) {
  bool full = false;
  int64_t count = 10;
  if (ctx.argc() > 3) {
    if (!EqualsIgnoreCase(ctx.arg(3), "FULL") || (ctx.argc() != 4 && ctx.argc() != 6)) {
      SubcommandSyntaxError(ctx, "XINFO");
      return;
    }
    full = true;
    if (ctx.argc() == 6) {
      if (!EqualsIgnoreCase(ctx.arg(4), "COUNT")) {
        ctx.reply.Error(protocol::kErrSyntax);
        return;
      }
      auto n = IntArg(ctx, ctx.arg(5));
      if (!n) return;
      count = *n < 0 ? 0 : *n;
    }
  }
  Object* o = XinfoKey(ctx);
  if (o == nullptr) return;
  const Stream& s = db::StreamOf(*o);
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(s.length()));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(static_cast<int64_t>(s.node_count()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(static_cast<int64_t>(RaxNodeCount(s)));
  ctx.reply.Bulk("last-generated-id");
  ReplyId(ctx, s.last_id());
  ctx.reply.Bulk("max-deleted-entry-id");
  ReplyId(ctx, s.max_deleted_id());
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(s.entries_added()));
  ctx.reply.Bulk("recorded-first-entry-id");
  ReplyId(ctx, s.first_id());
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<int64_t>(s.groups().size()));
    for (bool first : {true, false}) {
      ctx.reply.Bulk(first ? "first-entry" : "last-entry");
      StreamIterator it(s, StreamId::Min(), StreamId::Max(), !first);
      if (it.Next()) {
        ReplyEntry(ctx, it);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  ctx.reply.Bulk("entries");
  ReplyRange(ctx, s, StreamId::Min(), StreamId::Max(), count, false);
  ctx.reply.Bulk("groups");
  ctx.reply.ArrayHeader(s.groups().size());
  s.groups().ForEach([&](const std::string_view& name, StreamGroup* const& g) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, s, *g);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    ctx.reply.Bulk("pending");
    {
      const size_t h = ctx.reply.BeginDeferred();
      size_t n = 0;
      for (auto p = g->pel.Begin();
           g->pel.Valid(p) && (count == 0 || static_cast<int64_t>(n) < count); p = g->pel.Next(p)) {
        const StreamNack& nack = g->pel.ValueAt(p);
        ctx.reply.ArrayHeader(4);
        ReplyId(ctx, g->pel.KeyAt(p));
        ctx.reply.Bulk(nack.consumer->name());
        ctx.reply.Integer(nack.delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
        ++n;
      }
      ctx.reply.EndDeferredArray(h, n);
    }
    ctx.reply.Bulk("consumers");
    ctx.reply.ArrayHeader(g->consumers.size());
    g->consumers.ForEach([&](const std::string_view& cname, StreamConsumer* const& c) {
      ctx.reply.MapHeader(4);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(cname);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(c->seen_time);
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
      ctx.reply.Bulk("pending");
      const size_t h = ctx.reply.BeginDeferred();
      size_t n = 0;
      for (auto p = c->pel.Begin();
           c->pel.Valid(p) && (count == 0 || static_cast<int64_t>(n) < count); p = c->pel.Next(p)) {
        const StreamId id = c->pel.KeyAt(p);
        const StreamNack& nack = *g->pel.Find(id);
        ctx.reply.ArrayHeader(3);
        ReplyId(ctx, id);
        ctx.reply.Integer(nack.delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
        ++n;
      }
      ctx.reply.EndDeferredArray(h, n);
      return true;
    });
    return true;
  });
}

void XinfoHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

// The keys of XREAD / XREADGROUP: the first half of the arguments after STREAMS (Redis's key
// spec: keyword STREAMS, then half of the rest).
// XREADGROUP looks from argument 4 on, past GROUP <group> <consumer>, as Redis's key spec does.
bool StreamsKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys, size_t from,
                 uint8_t access) {
  for (size_t i = from; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "streams")) {
      const size_t rest = argv.size() - i - 1;
      if (rest == 0 || rest % 2 != 0) return false;
      for (size_t k = i + 1; k < i + 1 + rest / 2; ++k) keys.push_back(KeyRef{k, access});
      return true;
    }
  }
  return false;
}
bool XreadKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return StreamsKeys(argv, keys, 1, kKeyRead);
}
bool XreadgroupKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return StreamsKeys(argv, keys, 4, kKeyReadWrite);
}

constexpr CommandSpec kXgroupSubcommands[] = {
    {"create", XgroupCreateCommand, -5, kWrite | kDenyOom, 2, 2, 1, "stream",
     "Creates a consumer group.", "5.0.0", "O(1)", kNoSubcommands, kAclStream, kKeysWritten},
    {"setid", XgroupSetidCommand, -5, kWrite, 2, 2, 1, "stream",
     "Sets the last-delivered ID of a consumer group.", "5.0.0", "O(1)", kNoSubcommands, kAclStream,
     kKeysWritten},
    {"destroy", XgroupDestroyCommand, 4, kWrite, 2, 2, 1, "stream", "Destroys a consumer group.",
     "5.0.0", "O(N) where N is the number of entries in the group's pending entries list (PEL).",
     kNoSubcommands, kAclStream, kKeysWritten},
    {"createconsumer", XgroupCreateconsumerCommand, 5, kWrite | kDenyOom, 2, 2, 1, "stream",
     "Creates a consumer in a consumer group.", "6.2.0", "O(1)", kNoSubcommands, kAclStream,
     kKeysWritten},
    {"delconsumer", XgroupDelconsumerCommand, 5, kWrite, 2, 2, 1, "stream",
     "Deletes a consumer from a consumer group.", "5.0.0", "O(1)", kNoSubcommands, kAclStream,
     kKeysWritten},
    {"help", XgroupHelpCommand, 2, kLoading | kStale, 0, 0, 0, "stream",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", kNoSubcommands,
     kAclStream, kNoKeys},
};

constexpr CommandSpec kXinfoSubcommands[] = {
    {"consumers", XinfoConsumersCommand, 4, kReadOnly, 2, 2, 1, "stream",
     "Returns a list of the consumers in a consumer group.", "5.0.0", "O(1)", kNoSubcommands,
     kAclStream, kKeysRead},
    {"groups", XinfoGroupsCommand, 3, kReadOnly, 2, 2, 1, "stream",
     "Returns a list of the consumer groups of a stream.", "5.0.0", "O(1)", kNoSubcommands,
     kAclStream, kKeysRead},
    {"stream", XinfoStreamCommand, -3, kReadOnly, 2, 2, 1, "stream",
     "Returns information about a stream.", "5.0.0", "O(1)", kNoSubcommands, kAclStream, kKeysRead},
    {"help", XinfoHelpCommand, 2, kLoading | kStale, 0, 0, 0, "stream",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", kNoSubcommands,
     kAclStream, kNoKeys},
};

constexpr CommandSpec kStreamCommands[] = {
    {"xadd", XaddCommand, -5, kWrite | kDenyOom | kFast, 1, 1, 1, "stream",
     "Appends a new message to a stream. Creates the key if it doesn't exist.", "5.0.0",
     "O(1) when adding a new entry, O(N) when trimming where N being the number of entries "
     "evicted.",
     kNoSubcommands, kAclStream, kKeysWritten},
    {"xtrim", XtrimCommand, -4, kWrite, 1, 1, 1, "stream",
     "Deletes messages from the beginning of a stream.", "5.0.0",
     "O(N), with N being the number of evicted entries.", kNoSubcommands, kAclStream, kKeysWritten},
    {"xlen", XlenCommand, 2, kReadOnly | kFast, 1, 1, 1, "stream",
     "Return the number of messages in a stream.", "5.0.0", "O(1)", kNoSubcommands, kAclStream,
     kKeysLookedAt},
    {"xrange", XrangeCommand, -4, kReadOnly, 1, 1, 1, "stream",
     "Returns the messages from a stream within a range of IDs.", "5.0.0",
     "O(N) with N being the number of elements being returned.", kNoSubcommands, kAclStream,
     kKeysRead},
    {"xrevrange", XrevrangeCommand, -4, kReadOnly, 1, 1, 1, "stream",
     "Returns the messages from a stream within a range of IDs in reverse order.", "5.0.0",
     "O(N) with N being the number of elements returned.", kNoSubcommands, kAclStream, kKeysRead},
    {"xdel", XdelCommand, -3, kWrite | kFast, 1, 1, 1, "stream",
     "Returns the number of messages after removing them from a stream.", "5.0.0",
     "O(1) for each single item to delete in the stream.", kNoSubcommands, kAclStream,
     kKeysWritten},
    {"xread", XreadCommand, -4, kReadOnly | kBlocking | kMovableKeys, 0, 0, 0, "stream",
     "Returns messages from multiple streams with IDs greater than the ones requested. Blocks "
     "until a message is available otherwise.",
     "5.0.0", "For each stream mentioned: O(M) with M the number of elements returned.",
     kNoSubcommands, kAclStream, KeysFrom(&XreadKeys)},
    {"xreadgroup", XreadgroupCommand, -7, kWrite | kBlocking | kMovableKeys, 0, 0, 0, "stream",
     "Returns new or historical messages from a stream for a consumer in a group. Blocks until "
     "a message is available otherwise.",
     "5.0.0", "For each stream mentioned: O(M) with M the number of elements returned.",
     kNoSubcommands, kAclStream, KeysFrom(&XreadgroupKeys)},
    {"xgroup", nullptr, -2, 0, 0, 0, 0, "stream", "A container for consumer groups commands.",
     "5.0.0", "Depends on subcommand.", kXgroupSubcommands},
    {"xsetid", XsetidCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "stream",
     "An internal command for replicating stream values.", "5.0.0", "O(1)", kNoSubcommands,
     kAclStream, kKeysWritten},
    {"xack", XackCommand, -4, kWrite | kFast, 1, 1, 1, "stream",
     "Returns the number of messages that were successfully acknowledged by the consumer group "
     "member of a stream.",
     "5.0.0", "O(1) for each message ID processed.", kNoSubcommands, kAclStream, kKeysWritten},
    {"xpending", XpendingCommand, -3, kReadOnly, 1, 1, 1, "stream",
     "Returns the information and entries from a stream consumer group's pending entries list.",
     "5.0.0", "O(N) with N the number of elements returned.", kNoSubcommands, kAclStream,
     kKeysRead},
    {"xclaim", XclaimCommand, -6, kWrite | kFast, 1, 1, 1, "stream",
     "Changes, or acquires, ownership of a message in a consumer group, as if the message was "
     "delivered a consumer group member.",
     "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.",
     kNoSubcommands, kAclStream, kKeysWritten},
    {"xautoclaim", XautoclaimCommand, -6, kWrite | kFast, 1, 1, 1, "stream",
     "Changes, or acquires, ownership of messages in a consumer group, as if the messages were "
     "delivered to as consumer group member.",
     "6.2.0", "O(1) if COUNT is small.", kNoSubcommands, kAclStream, kKeysWritten},
    {"xinfo", nullptr, -2, 0, 0, 0, 0, "stream", "A container for stream introspection commands.",
     "5.0.0", "Depends on subcommand.", kXinfoSubcommands},
};

}  // namespace

std::span<const CommandSpec> StreamCommands() { return kStreamCommands; }

}  // namespace mnemo::cmd
