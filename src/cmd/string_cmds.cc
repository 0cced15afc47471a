// string_cmds.cc: the string commands (layer: cmd). Handlers parse arguments, call the string
// type API (db/string_type.h) and reply; encodings are never touched here.
#include <string>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/string_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// Replies with the value of a string object, or null when it is absent.
void ReplyString(Context& ctx, const Object* o) {
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  db::IntBuffer buf;
  ctx.reply.Bulk(db::StringView(*o, buf));
}

void GetCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  ReplyString(ctx, o);
}

// Options of SET (and the expiry part of GETEX), parsed as Redis's parseExtendedStringArgumentsOrReply.
struct SetOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keepttl = false;
  bool persist = false;
  int64_t expire_at_ms = -1;  // absolute; -1: none given
};

enum class ExpireUnit { kSeconds, kMilliseconds };

// Parses options starting at argv[first]. `for_getex` accepts PERSIST and refuses NX/XX/GET/
// KEEPTTL. Replies and returns false on error.
bool ParseSetOptions(Context& ctx, size_t first, bool for_getex, const char* command,
                     SetOptions* opt) {
  bool have_expire = false;
  for (size_t i = first; i < ctx.argc(); ++i) {
    const std::string_view a = ctx.arg(i);
    const bool has_next = i + 1 < ctx.argc();
    if (!for_getex && EqualsIgnoreCase(a, "NX") && !opt->xx) {
      opt->nx = true;
    } else if (!for_getex && EqualsIgnoreCase(a, "XX") && !opt->nx) {
      opt->xx = true;
    } else if (!for_getex && EqualsIgnoreCase(a, "GET")) {
      opt->get = true;
    } else if (!for_getex && EqualsIgnoreCase(a, "KEEPTTL") && !have_expire) {
      opt->keepttl = true;
    } else if (for_getex && EqualsIgnoreCase(a, "PERSIST") && !have_expire) {
      opt->persist = true;
    } else if ((EqualsIgnoreCase(a, "EX") || EqualsIgnoreCase(a, "PX") ||
                EqualsIgnoreCase(a, "EXAT") || EqualsIgnoreCase(a, "PXAT")) &&
               has_next && !have_expire && !opt->keepttl && !opt->persist) {
      have_expire = true;
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return false;
      const bool seconds = EqualsIgnoreCase(a, "EX") || EqualsIgnoreCase(a, "EXAT");
      const bool relative = EqualsIgnoreCase(a, "EX") || EqualsIgnoreCase(a, "PX");
      // Redis: non-positive times and times that overflow in milliseconds are invalid.
      if (*n <= 0 || (seconds && *n > INT64_MAX / 1000)) {
        ctx.reply.Error(protocol::InvalidExpireTime(command));
        return false;
      }
      int64_t ms = seconds ? *n * 1000 : *n;
      if (relative) {
        if (ms > INT64_MAX - ctx.keyspace.now_ms()) {
          ctx.reply.Error(protocol::InvalidExpireTime(command));
          return false;
        }
        ms += ctx.keyspace.now_ms();
      }
      opt->expire_at_ms = ms;
      ++i;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return false;
    }
  }
  return true;
}

// Stores `value` at `key` honouring the options; replies as SET does. Shared by SET, SETNX,
// SETEX, PSETEX (reply_ok false: they reply themselves).
// Returns true iff the value was stored.
bool SetGeneric(Context& ctx, std::string_view key, std::string_view value,
                const SetOptions& opt) {
  db::Db& d = ctx.db();
  Object* old = d.LookupWrite(key);
  if (opt.get) {
    if (WrongType(ctx, old, ObjType::kString)) return false;
  }
  if ((opt.nx && old != nullptr) || (opt.xx && old == nullptr)) {
    if (opt.get) {
      ReplyString(ctx, old);
    } else {
      ctx.reply.Null();
    }
    return false;
  }
  if (opt.get) ReplyString(ctx, old);  // the old value, read before it is replaced
  int64_t expire = opt.expire_at_ms;
  if (expire < 0 && opt.keepttl && old != nullptr) expire = db::Db::ExpireOf(old);
  // A SET with a time already in the past deletes the key (Redis: the key expires at once).
  if (expire >= 0 && expire <= ctx.keyspace.now_ms() && opt.expire_at_ms >= 0) {
    if (old != nullptr) d.Delete(key, false);
    ++ctx.keyspace.stats().expired_keys;
    if (!opt.get) ctx.reply.Ok();
    return true;
  }
  Object* o = db::NewStringObject(ctx.keyspace, key, value, expire);
  if (old != nullptr) {
    d.Overwrite(old, o);
  } else {
    d.Add(o);
  }
  if (!opt.get) ctx.reply.Ok();
  return true;
}

void SetCommand(Context& ctx) {
  SetOptions opt;
  if (!ParseSetOptions(ctx, 3, false, "set", &opt)) return;
  SetGeneric(ctx, ctx.arg(1), ctx.arg(2), opt);
}

void SetnxCommand(Context& ctx) {
  db::Db& d = ctx.db();
  if (d.LookupWrite(ctx.arg(1)) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  d.Add(db::NewStringObject(ctx.keyspace, ctx.arg(1), ctx.arg(2), -1));
  ctx.reply.Integer(1);
}

// SETEX key seconds value / PSETEX key milliseconds value
void SetexGeneric(Context& ctx, bool millis) {
  auto n = IntArg(ctx, ctx.arg(2));
  if (!n) return;
  const char* name = millis ? "psetex" : "setex";
  if (*n <= 0 || (!millis && *n > INT64_MAX / 1000)) {
    ctx.reply.Error(protocol::InvalidExpireTime(name));
    return;
  }
  const int64_t ms = millis ? *n : *n * 1000;
  if (ms > INT64_MAX - ctx.keyspace.now_ms()) {
    ctx.reply.Error(protocol::InvalidExpireTime(name));
    return;
  }
  SetOptions opt;
  opt.expire_at_ms = ctx.keyspace.now_ms() + ms;
  SetGeneric(ctx, ctx.arg(1), ctx.arg(3), opt);
}

void SetexCommand(Context& ctx) { SetexGeneric(ctx, false); }
void PsetexCommand(Context& ctx) { SetexGeneric(ctx, true); }

void MgetCommand(Context& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    Object* o = ctx.db().LookupRead(ctx.arg(i));
    if (o == nullptr || o->type() != ObjType::kString) {
      ctx.reply.Null();  // MGET answers null for keys of other types, not WRONGTYPE
    } else {
      ReplyString(ctx, o);
    }
  }
}

void MsetGeneric(Context& ctx, bool nx) {
  if (ctx.argc() % 2 != 1) {
    ctx.reply.Error(protocol::WrongArity(nx ? "msetnx" : "mset"));
    return;
  }
  db::Db& d = ctx.db();
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (d.LookupWrite(ctx.arg(i)) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    Object* old = d.LookupWrite(ctx.arg(i));
    Object* o = db::NewStringObject(ctx.keyspace, ctx.arg(i), ctx.arg(i + 1), -1);
    if (old != nullptr) {
      d.Overwrite(old, o);
    } else {
      d.Add(o);
    }
  }
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MsetCommand(Context& ctx) { MsetGeneric(ctx, false); }
void MsetnxCommand(Context& ctx) { MsetGeneric(ctx, true); }

// INCR, DECR, INCRBY, DECRBY.
void IncrDecr(Context& ctx, int64_t delta) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  int64_t value = 0;
  if (o != nullptr) {
    auto current = db::StringToInt64(*o);
    if (!current) {
      ctx.reply.Error(protocol::kErrNotInteger);
      return;
    }
    value = *current;
  }
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    ctx.reply.Error(protocol::kErrOverflow);
    return;
  }
  value += delta;
  if (o != nullptr) {
    db::StringSetInt(d, o, value);
  } else {
    d.Add(db::NewIntStringObject(ctx.keyspace, ctx.arg(1), value, -1));
  }
  ctx.reply.Integer(value);
}

void IncrCommand(Context& ctx) { IncrDecr(ctx, 1); }
void DecrCommand(Context& ctx) { IncrDecr(ctx, -1); }

void IncrbyCommand(Context& ctx) {
  auto n = IntArg(ctx, ctx.arg(2));
  if (n) IncrDecr(ctx, *n);
}

void DecrbyCommand(Context& ctx) {
  auto n = IntArg(ctx, ctx.arg(2));
  if (!n) return;
  if (*n == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrDecr(ctx, -*n);
}

constexpr CommandSpec kStringCommands[] = {
    {"get", GetCommand, 2, kReadOnly | kFast, 1, 1, 1, "string",
     "Returns the string value of a key.", "1.0.0", "O(1)"},
    {"set", SetCommand, -3, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't "
     "exist.", "1.0.0", "O(1)"},
    {"setnx", SetnxCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Set the string value of a key only when the key doesn't exist.", "1.0.0", "O(1)"},
    {"setex", SetexCommand, 4, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't "
     "exist.", "2.0.0", "O(1)"},
    {"psetex", PsetexCommand, 4, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets both string value and expiration time in milliseconds of a key. The key is created "
     "if it doesn't exist.", "2.6.0", "O(1)"},
    {"mget", MgetCommand, -2, kReadOnly | kFast, 1, -1, 1, "string",
     "Atomically returns the string values of one or more keys.", "1.0.0",
     "O(N) where N is the number of keys to retrieve."},
    {"mset", MsetCommand, -3, kWrite | kDenyOom, 1, -1, 2, "string",
     "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
     "O(N) where N is the number of keys to set."},
    {"msetnx", MsetnxCommand, -3, kWrite | kDenyOom, 1, -1, 2, "string",
     "Atomically modifies the string values of one or more keys only when all keys don't "
     "exist.", "1.0.1", "O(N) where N is the number of keys to set."},
    {"incr", IncrCommand, 2, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.", "1.0.0", "O(1)"},
    {"decr", DecrCommand, 2, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.", "1.0.0", "O(1)"},
    {"incrby", IncrbyCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist.", "1.0.0", "O(1)"},
    {"decrby", DecrbyCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
     "doesn't exist.", "1.0.0", "O(1)"},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kStringCommands; }

}  // namespace mnemo::cmd
