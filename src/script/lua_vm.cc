// lua_vm.cc: the sandboxed Lua interpreter, the redis.* API and the RESP <-> Lua conversions
// (layer: script). The rules follow Redis 7.0's script_lua.c; see lua_vm.h.
//
// Lua 5.1 reports errors with longjmp. A C function called from Lua therefore keeps no C++
// object with a destructor alive across a Lua API call that may raise: the strings it needs
// live in RunState (owned by the VM), and the C++ work (running a command) happens between Lua
// calls that cannot raise.
#include "mnemo/script/lua_vm.h"

#include <openssl/sha.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "mnemo/base/assert.h"
#include "mnemo/base/clock.h"
#include "mnemo/mem/zmalloc.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
}

namespace mnemo::script {

// The state of the run in progress (redis.call needs the host; pushes need scratch space).
struct LuaVm::RunState {
  Host* host = nullptr;
  int resp = 2;  // redis.setresp: the protocol of replies redis.call converts
  bool loading = false;  // FUNCTION LOAD: register_function works, redis.call does not
  int64_t load_deadline_us = 0;
  std::vector<Registered>* registered = nullptr;
  // Scratch for redis.call (kept here, not on the C stack, because Lua may longjmp).
  std::vector<std::string> args;
  std::vector<std::string_view> views;
  protocol::ReplyBuilder reply;
  std::string error;
};

namespace {

// A Lua number as an integer, as C's cast gives it on x86-64 (which is what Redis's replies
// show) without the cast's undefined behaviour: truncated toward zero, and the minimum (the
// "integer indefinite" value) for NaN and anything out of range, so that
// `EVAL "return 1e30" 0` answers -9223372036854775808 as redis-server 7.0.15 does.
template <typename Int>
Int LuaNumberTo(lua_Number d) {
  constexpr double kMin = static_cast<double>(std::numeric_limits<Int>::min());  // -2^k, exact
  if (d >= kMin && d < -kMin) return static_cast<Int>(d);
  return std::numeric_limits<Int>::min();
}

constexpr const char* kProtectedKey = "mnemo_protected";  // registry: weak set of proxies
constexpr const char* kLoadRedisKey = "mnemo_load_redis";  // registry: redis table at load time
constexpr int64_t kLoadTimeoutUs = 500 * 1000;  // Redis LOAD_TIMEOUT_MS

LuaVm* VmOf(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<LuaVm*>(ud);
}

// Pushes Redis's error table {err = "<CODE> <msg>"} (luaPushErrorBuff): a leading '-' names the
// code ("-WRONGTYPE x" -> "WRONGTYPE x"); without it the code is ERR. A trailing CR/LF goes.
void PushError(lua_State* L, const char* msg, size_t len) {
  lua_newtable(L);
  lua_pushliteral(L, "err");
  while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n')) --len;
  if (len > 0 && msg[0] == '-') {
    const char* space = static_cast<const char*>(std::memchr(msg, ' ', len));
    if (space == nullptr) {
      lua_pushliteral(L, "ERR ");
      lua_pushlstring(L, msg + 1, len - 1);
    } else {
      lua_pushlstring(L, msg + 1, static_cast<size_t>(space - msg));  // "CODE "
      lua_pushlstring(L, space + 1, len - static_cast<size_t>(space - msg) - 1);
    }
  } else {
    lua_pushliteral(L, "ERR ");
    lua_pushlstring(L, msg, len);
  }
  lua_concat(L, 2);
  lua_rawset(L, -3);
}
void PushError(lua_State* L, const char* msg) { PushError(L, msg, std::strlen(msg)); }

// Sets ignore_err_stats_update in the error table at the top: the error statistics already
// counted it.
void MarkErrorCounted(lua_State* L) {
  lua_pushliteral(L, "ignore_err_stats_update");
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
}

// True iff the error table at `idx` says the statistics counted it already.
bool ErrorCounted(lua_State* L, int idx) {
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  lua_pushliteral(L, "ignore_err_stats_update");
  lua_rawget(L, idx);
  const bool yes = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return yes;
}

// ---- RESP -> Lua (redisProtocolToLuaType) -------------------------------------------------

const char* ParseLine(const char* p, const char* end, const char** line_end) {
  const char* crlf = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
  MNEMO_ASSERT(crlf != nullptr);
  *line_end = crlf;
  return crlf + 2;
}

long long ParseInt(const char* p, const char* e) {
  return std::strtoll(std::string_view(p, static_cast<size_t>(e - p)).data(), nullptr, 10);
}

// Pushes the value at p; returns the position after it.
const char* PushReply(lua_State* L, const char* p, const char* end) {
  if (!lua_checkstack(L, 5)) luaL_error(L, "reached lua stack limit");
  const char type = *p;
  const char* le = nullptr;
  const char* next = ParseLine(p + 1, end, &le);
  switch (type) {
    case ':':
      lua_pushnumber(L, static_cast<lua_Number>(ParseInt(p + 1, le)));
      return next;
    case '$': {
      const long long n = ParseInt(p + 1, le);
      if (n < 0) {
        lua_pushboolean(L, 0);
        return next;
      }
      lua_pushlstring(L, next, static_cast<size_t>(n));
      return next + n + 2;
    }
    case '+':
    case '-':
      lua_newtable(L);
      lua_pushstring(L, type == '+' ? "ok" : "err");
      lua_pushlstring(L, p + 1, static_cast<size_t>(le - p - 1));
      lua_rawset(L, -3);
      // The command's error was counted when it was replied: a script returning it does not
      // count it again (Redis redisProtocolToLuaType_Error).
      if (type == '-') MarkErrorCounted(L);
      return next;
    case '*':
    case '~':
    case '>': {
      const long long n = ParseInt(p + 1, le);
      if (n < 0) {
        lua_pushboolean(L, 0);
        return next;
      }
      if (type == '~') {
        lua_newtable(L);
        lua_pushliteral(L, "set");
        lua_newtable(L);
        for (long long i = 0; i < n; ++i) {
          next = PushReply(L, next, end);
          lua_pushboolean(L, 1);
          lua_rawset(L, -3);
        }
        lua_rawset(L, -3);
        return next;
      }
      lua_newtable(L);
      for (long long i = 0; i < n; ++i) {
        next = PushReply(L, next, end);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      return next;
    }
    case '%': {
      const long long n = ParseInt(p + 1, le);
      lua_newtable(L);
      lua_pushliteral(L, "map");
      lua_newtable(L);
      for (long long i = 0; i < n; ++i) {
        next = PushReply(L, next, end);
        next = PushReply(L, next, end);
        lua_rawset(L, -3);
      }
      lua_rawset(L, -3);
      return next;
    }
    case '_':
      lua_pushnil(L);
      return next;
    case '#':
      lua_pushboolean(L, p[1] == 't');
      return next;
    case ',': {
      lua_newtable(L);
      lua_pushliteral(L, "double");
      const std::string_view s(p + 1, static_cast<size_t>(le - p - 1));
      double d = std::strtod(std::string(s).c_str(), nullptr);
      lua_pushnumber(L, d);
      lua_rawset(L, -3);
      return next;
    }
    case '(':
      lua_newtable(L);
      lua_pushliteral(L, "big_number");
      lua_pushlstring(L, p + 1, static_cast<size_t>(le - p - 1));
      lua_rawset(L, -3);
      return next;
    case '=': {
      const long long n = ParseInt(p + 1, le);
      lua_newtable(L);
      lua_pushliteral(L, "verbatim_string");
      lua_newtable(L);
      lua_pushliteral(L, "format");
      lua_pushlstring(L, next, 3);
      lua_rawset(L, -3);
      lua_pushliteral(L, "string");
      lua_pushlstring(L, next + 4, static_cast<size_t>(n - 4));
      lua_rawset(L, -3);
      lua_rawset(L, -3);
      return next + n + 2;
    }
    case '|': {  // attributes are skipped (Redis ignores them too)
      const long long n = ParseInt(p + 1, le);
      for (long long i = 0; i < 2 * n; ++i) {
        next = PushReply(L, next, end);
        lua_pop(L, 1);
      }
      return PushReply(L, next, end);
    }
    default:
      lua_pushnil(L);
      return end;
  }
}

// ---- Lua -> RESP (luaReplyToRedisReply) ---------------------------------------------------

// Writes the value on top of the stack to `out` and pops it. `resp` is the protocol the script
// chose with redis.setresp (booleans are 1/nil under 2, as Redis).
void ToReply(lua_State* L, protocol::ReplyBuilder& out, int resp) {
  if (!lua_checkstack(L, 4)) {
    out.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  const int t = lua_type(L, -1);
  switch (t) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      out.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (resp == 2) {
        if (lua_toboolean(L, -1)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Bool(lua_toboolean(L, -1) != 0);
      }
      break;
    case LUA_TNUMBER:
      out.Integer(LuaNumberTo<int64_t>(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE: {
      lua_pushliteral(L, "err");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        if (ErrorCounted(L, -2)) {
          out.ErrorUncounted(std::string_view(s, len));
        } else {
          out.Error(std::string_view(s, len));
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "ok");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        std::string ok(s, len);
        for (char& c : ok) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        out.SimpleString(ok);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "double");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TNUMBER) {
        out.Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "big_number");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        std::string big(s, len);
        for (char& c : big) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        if (out.resp() >= 3) {
          out.Raw("(");
          out.Raw(big);
          out.Raw("\r\n");
        } else {
          out.Bulk(big);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "verbatim_string");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        lua_pushliteral(L, "format");
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TSTRING) {
          lua_pushliteral(L, "string");
          lua_rawget(L, -3);
          if (lua_type(L, -1) == LUA_TSTRING) {
            size_t flen = 0;
            size_t slen = 0;
            const char* f = lua_tolstring(L, -2, &flen);
            const char* s = lua_tolstring(L, -1, &slen);
            out.Verbatim(std::string_view(s, slen), std::string_view(f, flen).substr(0, 3));
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "map");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        const size_t handle = out.BeginDeferred();
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          ToReply(L, out, resp);  // key
          ToReply(L, out, resp);  // value
          ++n;
        }
        out.EndDeferredMap(handle, n);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "set");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        const size_t handle = out.BeginDeferred();
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          ToReply(L, out, resp);
          ++n;
        }
        out.EndDeferredSet(handle, n);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      const size_t handle = out.BeginDeferred();
      size_t n = 0;
      for (int j = 1;; ++j) {
        lua_rawgeti(L, -1, j);
        if (lua_type(L, -1) == LUA_TNIL) {
          lua_pop(L, 1);
          break;
        }
        ToReply(L, out, resp);
        ++n;
      }
      out.EndDeferredArray(handle, n);
      break;
    }
    default:
      out.Null();
  }
  lua_pop(L, 1);
}

// ---- the redis.* API ----------------------------------------------------------------------

// A number argument as Redis formats it ("%.17g"). Integers below 2^53 print the same with
// to_chars, without printf's floating-point machinery (EXPIRE k 100 is the common case).
void FormatNumber(double d, std::string* out) {
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0 && !(d == 0 && std::signbit(d))) {
    const auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(d));
    out->assign(buf, static_cast<size_t>(r.ptr - buf));
    return;
  }
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  out->assign(buf, static_cast<size_t>(n));
}

// The run state of a redis.call-like function, with its arguments collected into rs->views
// (Redis luaArgsToRedisArgv): raises the Lua error Redis raises when there is no run
// (`not_in_run`), no argument, or an argument that is neither a string nor a number. Strings
// are not copied: the views point into the Lua strings, which stay on the stack for the call.
// Numbers are formatted as Redis does ("%.17g") into rs->args.
LuaVm::RunState* CollectCommandArgs(lua_State* L, const char* not_in_run) {
  LuaVm::RunState* rs = VmOf(L)->run();
  const int argc = lua_gettop(L);
  if (rs == nullptr || rs->loading) {
    PushError(L, not_in_run);
    lua_error(L);
  }
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    lua_error(L);
  }
  // Sized first, so that the views of formatted numbers never move.
  if (rs->args.size() < static_cast<size_t>(argc)) rs->args.resize(static_cast<size_t>(argc));
  rs->views.resize(static_cast<size_t>(argc));
  for (int j = 1; j <= argc; ++j) {
    const int t = lua_type(L, j);
    const size_t i = static_cast<size_t>(j - 1);
    if (t == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, j, &len);
      rs->views[i] = std::string_view(s, len);
    } else if (t == LUA_TNUMBER) {
      FormatNumber(static_cast<double>(lua_tonumber(L, j)), &rs->args[i]);
      rs->views[i] = rs->args[i];
    } else {
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      lua_error(L);
    }
  }
  return rs;
}

int RedisGenericCommand(lua_State* L, bool raise) {
  LuaVm::RunState* rs =
      CollectCommandArgs(L, "redis.call/pcall can only be called inside a script invocation");
  rs->reply.buffer().clear();
  rs->reply.set_resp(rs->resp);
  if (!rs->host->Call(rs->views, rs->reply, &rs->error)) {
    PushError(L, rs->error.data(), rs->error.size());
    MarkErrorCounted(L);  // the host counted the refusal
    if (raise) return lua_error(L);
    return 1;
  }
  const std::string& buf = rs->reply.buffer();
  if (buf.empty()) {  // a command that answered nothing (cannot happen for scripted commands)
    lua_pushnil(L);
    return 1;
  }
  const bool is_error = buf[0] == '-';
  PushReply(L, buf.data(), buf.data() + buf.size());
  if (raise && is_error) return lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return RedisGenericCommand(L, true); }

// redis.acl_check_cmd(command, args...): whether the script's user may run it.
int RedisAclCheckCmd(lua_State* L) {
  LuaVm::RunState* rs =
      CollectCommandArgs(L, "redis.acl_check_cmd can only be called inside a script invocation");
  const int verdict = rs->host->AclCheck(rs->views);
  if (verdict < 0) {
    PushError(L, "Invalid command passed to redis.acl_check_cmd()");
    return lua_error(L);
  }
  lua_pushboolean(L, verdict);
  return 1;
}
int RedisPcall(lua_State* L) { return RedisGenericCommand(L, false); }

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushError(L, "wrong number of arguments");
    return lua_error(L);
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s == nullptr ? "" : s), s == nullptr ? 0 : len,
       digest);
  char hex[41];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  lua_pushlstring(L, hex, 40);
  return 1;
}

int ReturnSingleFieldTable(lua_State* L, const char* field) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  // Redis adds the '-' when missing, then parses the code like any error (luaPushErrorBuff).
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  if (len > 0 && s[0] == '-') {
    PushError(L, s, len);
  } else {
    lua_pushliteral(L, "-");
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    size_t l2 = 0;
    const char* s2 = lua_tolstring(L, -1, &l2);
    PushError(L, s2, l2);
  }
  return 1;
}

int RedisStatusReply(lua_State* L) { return ReturnSingleFieldTable(L, "ok"); }

int RedisLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) {
    PushError(L, "redis.log() requires two arguments or more.");
    return lua_error(L);
  }
  if (!lua_isnumber(L, 1)) {
    PushError(L, "First argument must be a number (log level).");
    return lua_error(L);
  }
  const int level = LuaNumberTo<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) {
    PushError(L, "Invalid debug level.");
    return lua_error(L);
  }
  // Glue the arguments with spaces (Redis luaLogCommand).
  for (int j = 2; j <= argc; ++j) {
    if (j > 2) lua_pushliteral(L, " ");
    size_t len = 0;
    const char* s = lua_tolstring(L, j, &len);
    if (s == nullptr) {
      lua_pushliteral(L, "");
    } else {
      lua_pushlstring(L, s, len);
    }
  }
  lua_concat(L, 2 * (argc - 1) - 1);
  LuaVm::RunState* rs = VmOf(L)->run();
  if (rs != nullptr && rs->host != nullptr) {
    size_t len = 0;
    const char* msg = lua_tolstring(L, -1, &len);
    rs->host->Log(level, std::string_view(msg, len));
  }
  return 0;
}

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.setresp() requires one argument.");
    return lua_error(L);
  }
  const int resp = LuaNumberTo<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) {
    PushError(L, "RESP version must be 2 or 3.");
    return lua_error(L);
  }
  if (LuaVm::RunState* rs = VmOf(L)->run()) rs->resp = resp;
  return 0;
}

int RedisSetRepl(lua_State* L) {
  LuaVm::RunState* rs = VmOf(L)->run();
  if (rs == nullptr || rs->loading) {
    PushError(L, "redis.set_repl can only be called inside a script invocation");
    return lua_error(L);
  }
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.set_repl() requires two arguments.");
    return lua_error(L);
  }
  const int flags = LuaNumberTo<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    PushError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return lua_error(L);
  }
  rs->host->SetReplication(flags);
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);  // always on since Redis 7.0
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);  // no debugger: as Redis without an LDB session
  return 1;
}

int RedisDebug(lua_State* L) {
  (void)L;
  return 0;
}

// ---- math.random (Redis's rand.c, seeded like Redis's process-wide generator) -------------

uint64_t g_rand48 = 0x1234ABCD330EULL;  // X2 X1 X0 of rand.c

int MathRandom(lua_State* L) {
  const lua_Number r = static_cast<lua_Number>(RedisLrand48() % INT32_MAX) /
                       static_cast<lua_Number>(INT32_MAX);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      const int l = luaL_checkint(L, 1);
      const int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  RedisSrand48(luaL_checkint(L, 1));
  return 0;
}

// ---- the sandbox --------------------------------------------------------------------------

bool IsProtected(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  lua_pushvalue(L, idx);
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_insert(L, -2);
  lua_rawget(L, -2);
  const bool yes = lua_toboolean(L, -1) != 0;
  lua_pop(L, 2);
  return yes;
}

int ReadonlyError(lua_State* L) {
  // As Redis: the position of the Lua code that wrote (level 0 is this metamethod, level 1 the
  // script that triggered it).
  luaL_where(L, 1);
  lua_pushliteral(L, "Attempt to modify a readonly table");
  lua_concat(L, 2);
  return lua_error(L);
}

int ReadonlyErrorNoWhere(lua_State* L) {
  lua_pushliteral(L, "Attempt to modify a readonly table");
  return lua_error(L);
}

int NonexistentGlobal(lua_State* L) {
  luaL_where(L, 1);
  lua_pushliteral(L, "Script attempted to access nonexistent global variable '");
  lua_pushvalue(L, 2);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "?");
  }
  lua_pushliteral(L, "'");
  lua_concat(L, 4);
  return lua_error(L);
}

// __index of the globals proxy: upvalue 1 the real globals, 2 the redis table of FUNCTION LOAD.
// While a library loads, Redis 7.0 shows it nothing but that redis table.
int GlobalIndex(lua_State* L) {
  LuaVm::RunState* rs = VmOf(L)->run();
  if (rs != nullptr && rs->loading) {
    if (lua_type(L, 2) == LUA_TSTRING && std::strcmp(lua_tostring(L, 2), "redis") == 0) {
      lua_pushvalue(L, lua_upvalueindex(2));
      return 1;
    }
    return NonexistentGlobal(L);
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  return NonexistentGlobal(L);
}

// __index of the load-time redis table: upvalue 1 the real table; unknown fields fail as
// unknown globals do (Redis 7.0).
int StrictIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  return NonexistentGlobal(L);
}

// Replaces the two values at the top, [underlying table, index], with a read-only proxy of the
// table: `index` is the proxy's __index (the table itself, or a function such as GlobalIndex),
// `metatable` what getmetatable shows (false when 0). The weak registry set of proxies maps the
// proxy to its table, so that pairs, next, ipairs and rawget see the table's contents as they
// see a Redis read-only table's.
void MakeProxy(lua_State* L, int metatable = 0) {
  // stack: table index
  lua_newtable(L);  // table index proxy
  lua_newtable(L);  // table index proxy mt
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  if (metatable != 0) {
    lua_pushvalue(L, metatable);
  } else {
    lua_pushboolean(L, 0);
  }
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);  // table index proxy
  lua_remove(L, -2);        // table proxy
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -4);
  lua_rawset(L, -3);  // protected[proxy] = table
  lua_pop(L, 1);
  lua_remove(L, -2);  // proxy
}

// A proxy of the table at the top whose reads go to the table (library tables).
void MakeTableProxy(lua_State* L) {
  lua_pushvalue(L, -1);
  MakeProxy(L);
}

// If the value at `idx` is a read-only proxy, replaces it with the table behind it.
void Unproxy(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  if (lua_istable(L, -1)) {
    lua_replace(L, idx);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
  }
}

// next, pairs, ipairs and rawget that see through the proxies (Redis's read-only tables are
// the tables themselves, so these see their contents). What they return are the values, never
// the table behind a proxy, which stays out of the scripts' reach.
int SandboxNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  Unproxy(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

bool IsProxy(lua_State* L, int idx) {
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  const bool yes = lua_istable(L, -1);
  lua_pop(L, 2);
  return yes;
}

// pairs and ipairs: upvalue 1 is Lua's own iterator, used for every table but a proxy (so that
// iterating ordinary tables costs what it costs in Redis).
int SandboxPairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProxy(L, 1)) {
    lua_pushcfunction(L, SandboxNext);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int SandboxIpairsStep(lua_State* L) {
  const int i = luaL_checkint(L, 2) + 1;
  luaL_checktype(L, 1, LUA_TTABLE);
  Unproxy(L, 1);
  lua_pushinteger(L, i);
  lua_rawgeti(L, 1, i);
  return lua_isnil(L, -1) ? 0 : 2;
}

int SandboxIpairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProxy(L, 1)) {
    lua_pushcfunction(L, SandboxIpairsStep);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

int SandboxRawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  Unproxy(L, 1);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

// Wraps a table-mutating builtin: refuses protected tables as its first argument.
int GuardedCall(lua_State* L) {
  if (IsProtected(L, 1)) return ReadonlyErrorNoWhere(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void Guard(lua_State* L, int table_idx, const char* name) {
  lua_getfield(L, table_idx, name);
  lua_pushcclosure(L, GuardedCall, 1);
  lua_setfield(L, table_idx, name);
}

// loadstring and load without precompiled chunks (Redis refuses bytecode: a crafted chunk can
// break out of the VM).
int SafeLoadString(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* chunk_name = luaL_optstring(L, 2, s);
  if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushliteral(L, "attempt to load a binary chunk");
    return 2;
  }
  if (luaL_loadbuffer(L, s, len, chunk_name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

int SafeLoad(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* chunk_name = luaL_optstring(L, 2, "=(load)");
  luaL_Buffer b;
  lua_settop(L, 2);
  luaL_buffinit(L, &b);
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "reader function must return a string");
    if (lua_objlen(L, -1) == 0) {
      lua_pop(L, 1);
      break;
    }
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  lua_pushcfunction(L, SafeLoadString);
  lua_insert(L, -2);
  lua_pushstring(L, chunk_name);
  lua_call(L, 2, 2);
  return 2;
}

// Error handler of a run (Redis __redis__err__handler): turns the error into a table with err,
// source and line.
int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
  if (have && std::strcmp(ar.what, "C") == 0) have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
  if (!lua_istable(L, 1)) {
    lua_newtable(L);
    lua_pushliteral(L, "err");
    lua_pushliteral(L, "ERR ");
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    lua_concat(L, 2);
    lua_rawset(L, -3);
  } else {
    lua_pushvalue(L, 1);
  }
  if (have) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, -2, "source");
    lua_pushnumber(L, ar.currentline);
    lua_setfield(L, -2, "line");
  }
  return 1;
}

void Hook(lua_State* L, lua_Debug* ar) {
  (void)ar;
  LuaVm::RunState* rs = VmOf(L)->run();
  if (rs == nullptr) return;
  if (rs->loading) {
    if (MonotonicUs() > rs->load_deadline_us) {
      lua_sethook(L, Hook, LUA_MASKLINE, 0);
      PushError(L, "FUNCTION LOAD timeout");
      lua_error(L);
    }
    return;
  }
  if (rs->host->Interrupt()) {
    // Every line from now on raises again, so that pcall in the script cannot swallow it.
    lua_sethook(L, Hook, LUA_MASKLINE, 0);
    PushError(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

// register_function (FUNCTION LOAD only).
int ReadFlags(lua_State* L, uint32_t* flags) {
  // stack: flags table
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -1) != LUA_TSTRING) return -1;
    const uint32_t f = ScriptFlagByName(lua_tostring(L, -1));
    if (f == 0) return -1;
    *flags |= f;
    lua_pop(L, 1);
  }
  return 0;
}

bool ValidName(const char* s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

int RegisterFunction(lua_State* L) {
  LuaVm::RunState* rs = VmOf(L)->run();
  if (rs == nullptr || !rs->loading) {
    PushError(L, "redis.register_function can only be called on FUNCTION LOAD command");
    return lua_error(L);
  }
  const int argc = lua_gettop(L);
  if (argc < 1 || argc > 2) {
    PushError(L, "wrong number of arguments to redis.register_function");
    return lua_error(L);
  }
  const char* name = nullptr;
  size_t name_len = 0;
  const char* desc = nullptr;
  size_t desc_len = 0;
  int fn_idx = 0;
  uint32_t flags = 0;
  if (argc == 2) {
    if (lua_type(L, 1) != LUA_TSTRING) {
      PushError(L, "first argument to redis.register_function must be a string");
      return lua_error(L);
    }
    if (!lua_isfunction(L, 2)) {
      PushError(L, "second argument to redis.register_function must be a function");
      return lua_error(L);
    }
    name = lua_tolstring(L, 1, &name_len);
    fn_idx = 2;
  } else {
    if (!lua_istable(L, 1)) {
      PushError(L,
                "calling redis.register_function with a single argument is only applicable to "
                "Lua table (representing named arguments).");
      return lua_error(L);
    }
    lua_newtable(L);  // 2: keeps the values found alive
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        PushError(L, "named argument key given to redis.register_function is not a string");
        return lua_error(L);
      }
      const char* key = lua_tostring(L, -2);
      if (strcasecmp(key, "function_name") == 0) {
        if (lua_type(L, -1) != LUA_TSTRING) {
          PushError(L, "function_name argument given to redis.register_function must be a string");
          return lua_error(L);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, "name");
      } else if (strcasecmp(key, "description") == 0) {
        if (lua_type(L, -1) != LUA_TSTRING) {
          PushError(L, "description argument given to redis.register_function must be a string");
          return lua_error(L);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, "desc");
      } else if (strcasecmp(key, "callback") == 0) {
        if (!lua_isfunction(L, -1)) {
          PushError(L, "callback argument given to redis.register_function must be a function");
          return lua_error(L);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, "fn");
      } else if (strcasecmp(key, "flags") == 0) {
        if (!lua_istable(L, -1)) {
          PushError(L,
                    "flags argument to redis.register_function must be a table representing "
                    "function flags");
          return lua_error(L);
        }
        if (ReadFlags(L, &flags) != 0) {
          PushError(L, "unknown flag given");
          return lua_error(L);
        }
      } else {
        PushError(L, "unknown argument given to redis.register_function");
        return lua_error(L);
      }
      lua_pop(L, 1);
    }
    lua_getfield(L, 2, "name");
    if (lua_isnil(L, -1)) {
      PushError(L, "redis.register_function must get a function name argument");
      return lua_error(L);
    }
    name = lua_tolstring(L, -1, &name_len);
    lua_getfield(L, 2, "fn");
    if (lua_isnil(L, -1)) {
      PushError(L, "redis.register_function must get a callback argument");
      return lua_error(L);
    }
    fn_idx = lua_gettop(L);
    lua_getfield(L, 2, "desc");
    if (!lua_isnil(L, -1)) desc = lua_tolstring(L, -1, &desc_len);
  }
  if (!ValidName(name, name_len)) {
    // Redis 7.0's text (it names libraries here too).
    PushError(L,
              "Library names can only contain letters, numbers, or underscores(_) and must be "
              "at least one character long");
    return lua_error(L);
  }
  for (const LuaVm::Registered& r : *rs->registered) {
    if (r.name == std::string_view(name, name_len)) {
      PushError(L, "Function already exists in the library");
      return lua_error(L);
    }
  }
  lua_pushvalue(L, fn_idx);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  rs->registered->push_back(LuaVm::Registered{
      std::string(name, name_len), desc ? std::string(desc, desc_len) : std::string(), flags, ref});
  return 0;
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (lua_istable(L, -1) && name[0] != '\0') {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

// The logging and version fields both redis tables have.
void AddCommonApi(lua_State* L) {
  SetFunction(L, "log", RedisLog);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetFunction(L, "setresp", RedisSetResp);
  lua_pushliteral(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", (7 << 16) | (0 << 8) | 15);
}

}  // namespace

uint32_t ScriptFlagByName(std::string_view name) {
  if (name == "no-writes") return kScriptNoWrites;
  if (name == "allow-oom") return kScriptAllowOom;
  if (name == "allow-stale") return kScriptAllowStale;
  if (name == "no-cluster") return kScriptNoCluster;
  if (name == "allow-cross-slot-keys") return kScriptAllowCrossSlot;
  return 0;
}

std::vector<std::string_view> ScriptFlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  if (flags & kScriptNoWrites) out.push_back("no-writes");
  if (flags & kScriptAllowOom) out.push_back("allow-oom");
  if (flags & kScriptAllowStale) out.push_back("allow-stale");
  if (flags & kScriptNoCluster) out.push_back("no-cluster");
  if (flags & kScriptAllowCrossSlot) out.push_back("allow-cross-slot-keys");
  return out;
}

int32_t RedisLrand48() {
  constexpr uint64_t kA = 0x5DEECE66DULL;
  constexpr uint64_t kC = 0xB;
  g_rand48 = (kA * g_rand48 + kC) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(g_rand48 >> 17);
}

void RedisSrand48(int32_t seed) {
  g_rand48 = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string hex(40, '0');
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return hex;
}

void* LuaVm::Allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  (void)osize;
  auto* vm = static_cast<LuaVm*>(ud);
  if (nsize == 0) {
    if (ptr != nullptr) {
      vm->heap_bytes_ -= mem::UsableSize(ptr);
      mem::Free(ptr);
    }
    return nullptr;
  }
  const size_t old = ptr == nullptr ? 0 : mem::UsableSize(ptr);
  // Only growth is refused (Lua requires shrinking to succeed).
  if (vm->limit_ != 0 && nsize > old && vm->heap_bytes_ - old + nsize > vm->limit_) {
    vm->limit_hit_ = true;
    return nullptr;
  }
  void* p = ptr == nullptr ? mem::Alloc(nsize) : mem::Realloc(ptr, nsize);
  vm->heap_bytes_ = vm->heap_bytes_ - old + mem::UsableSize(p);
  return p;
}

LuaVm::LuaVm(Kind kind) : kind_(kind) {
  L_ = lua_newstate(&LuaVm::Allocate, this);
  MNEMO_ASSERT(L_ != nullptr);
  OpenSandbox();
}

LuaVm::~LuaVm() {
  if (L_ != nullptr) lua_close(L_);
}

void LuaVm::OpenSandbox() {
  lua_State* L = L_;
  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  OpenLib(L, "cjson", luaopen_cjson);
  OpenLib(L, "bit", luaopen_bit);
  // Not in Redis's sandbox.
  for (const char* name : {"print", "dofile", "loadfile", "getfenv", "setfenv", "newproxy",
                           "module", "require", "package", "os", "io", "debug"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, SafeLoadString);
  lua_setglobal(L, "loadstring");
  // Lua's own pairs returns its next, and ipairs its step function: taken from what they
  // return for an ordinary table.
  lua_getglobal(L, "pairs");
  lua_newtable(L);
  lua_call(L, 1, 1);
  lua_pushcclosure(L, SandboxPairs, 1);
  lua_setglobal(L, "pairs");
  lua_getglobal(L, "ipairs");
  lua_newtable(L);
  lua_call(L, 1, 1);
  lua_pushcclosure(L, SandboxIpairs, 1);
  lua_setglobal(L, "ipairs");
  lua_pushcfunction(L, SandboxNext);
  lua_setglobal(L, "next");
  lua_pushcfunction(L, SandboxRawget);
  lua_setglobal(L, "rawget");
  lua_pushcfunction(L, SafeLoad);
  lua_setglobal(L, "load");
  lua_getglobal(L, "math");
  SetFunction(L, "random", MathRandom);
  SetFunction(L, "randomseed", MathRandomSeed);
  lua_pop(L, 1);

  // The weak set of read-only proxies.
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kProtectedKey);

  // The redis table of runs.
  lua_newtable(L);
  SetFunction(L, "call", RedisCall);
  SetFunction(L, "pcall", RedisPcall);
  SetFunction(L, "sha1hex", RedisSha1Hex);
  SetFunction(L, "error_reply", RedisErrorReply);
  SetFunction(L, "status_reply", RedisStatusReply);
  SetFunction(L, "set_repl", RedisSetRepl);
  SetFunction(L, "acl_check_cmd", RedisAclCheckCmd);
  SetFunction(L, "replicate_commands", RedisReplicateCommands);
  SetFunction(L, "breakpoint", RedisBreakpoint);
  SetFunction(L, "debug", RedisDebug);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  AddCommonApi(L);
  lua_setglobal(L, "redis");

  // The redis table of FUNCTION LOAD: register_function, log, version (Redis's library API).
  lua_newtable(L);
  lua_pushcfunction(L, RegisterFunction);
  lua_setfield(L, -2, "register_function");
  AddCommonApi(L);
  lua_pushnil(L);
  lua_setfield(L, -2, "setresp");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, StrictIndex, 1);
  MakeProxy(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadRedisKey);

  // table.insert/remove/sort, rawset and setmetatable refuse the read-only proxies.
  lua_getglobal(L, "table");
  const int table_idx = lua_gettop(L);
  Guard(L, table_idx, "insert");
  Guard(L, table_idx, "remove");
  Guard(L, table_idx, "sort");
  lua_pop(L, 1);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  Guard(L, lua_gettop(L), "rawset");
  Guard(L, lua_gettop(L), "setmetatable");
  lua_pop(L, 1);

  // Library tables become read-only proxies, and so does the strings' metatable index.
  for (const char* name : {"string", "table", "math", "cjson", "bit", "coroutine", "redis"}) {
    lua_getglobal(L, name);
    MakeTableProxy(L);
    lua_setglobal(L, name);
  }
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_getglobal(L, "string");
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);

  // The globals scripts see: a proxy whose reads of unknown names fail. Stored in the registry;
  // _G names it.
  // getmetatable(_G) shows a read-only table holding the __index function, as Redis's
  // globals metatable does.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadRedisKey);
  lua_pushcclosure(L, GlobalIndex, 2);
  lua_newtable(L);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  MakeTableProxy(L);
  const int globals_mt = lua_gettop(L);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushvalue(L, globals_mt - 1);
  MakeProxy(L, globals_mt);
  lua_replace(L, globals_mt - 1);
  lua_settop(L, globals_mt - 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_GLOBALSINDEX, "_G");
  lua_setfield(L, LUA_REGISTRYINDEX, "mnemo_env");
  lua_gc(L, LUA_GCCOLLECT, 0);
}

Compiled LuaVm::Compile(std::string_view body, std::string_view chunk_name) {
  Compiled c;
  std::string name(chunk_name);
  if (!body.empty() && body[0] == LUA_SIGNATURE[0]) {
    c.error = std::string(chunk_name.substr(1)) + ": attempt to load a binary chunk";
    return c;
  }
  if (luaL_loadbuffer(L_, body.data(), body.size(), name.c_str()) != 0) {
    size_t len = 0;
    const char* msg = lua_tolstring(L_, -1, &len);
    c.error.assign(msg == nullptr ? "unknown error" : msg, msg == nullptr ? 13 : len);
    lua_pop(L_, 1);
    return c;
  }
  lua_getfield(L_, LUA_REGISTRYINDEX, "mnemo_env");
  lua_setfenv(L_, -2);
  c.ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  return c;
}

void LuaVm::Release(int ref) {
  if (ref != 0) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
}

void LuaVm::CollectGarbage() { lua_gc(L_, LUA_GCCOLLECT, 0); }

namespace {

// Pushes a Lua array of `items`.
void PushArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

void LuaVm::Run(int ref, std::span<const std::string_view> keys,
                std::span<const std::string_view> args, std::string_view name, Host& host,
                protocol::ReplyBuilder& out, bool eval_mode) {
  (void)eval_mode;
  // The scratch of redis.call keeps its capacity from run to run.
  if (!scratch_) scratch_ = std::make_unique<RunState>();
  RunState& rs = *scratch_;
  rs.host = &host;
  rs.resp = 2;
  rs.loading = false;
  rs.registered = nullptr;
  run_ = &rs;
  lua_State* L = L_;
  const int base = lua_gettop(L);
  lua_pushcfunction(L, ErrorHandler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  int nargs = 0;
  if (kind_ == Kind::kEval) {
    PushArray(L, keys);
    lua_setglobal(L, "KEYS");
    PushArray(L, args);
    lua_setglobal(L, "ARGV");
  } else {
    PushArray(L, keys);
    PushArray(L, args);
    nargs = 2;
  }
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  limit_hit_ = false;
  const size_t saved_limit = limit_;
  const int err = lua_pcall(L, nargs, 1, base + 1);
  lua_sethook(L, Hook, 0, 0);
  // The conversion below must not fail half way: no limit while it runs.
  limit_ = 0;
  if (err == 0) {
    ToReply(L, out, rs.resp);
  } else if (lua_istable(L, -1)) {
    const bool counted = ErrorCounted(L, -1);
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    size_t len = 0;
    const char* msg = lua_tolstring(L, -3, &len);
    std::string final_msg = msg == nullptr ? std::string("ERR unknown error") : std::string(msg, len);
    if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      final_msg += " script: ";
      final_msg += name;
      final_msg += ", on ";
      final_msg += lua_tostring(L, -2);
      final_msg += ':';
      final_msg += std::to_string(LuaNumberTo<int64_t>(lua_tonumber(L, -1)));
      final_msg += '.';
    }
    lua_pop(L, 4);
    if (counted) {
      out.ErrorUncounted(final_msg);
    } else {
      out.Error(final_msg);
    }
  } else {
    const char* msg = lua_tostring(L, -1);
    std::string text = "ERR Error running script " + std::string(name) + ", " +
                       std::string(msg == nullptr ? "execution failure" : msg);
    if (err == LUA_ERRMEM && limit_hit_) text += " (the Lua heap reached lua-memory-limit)";
    lua_pop(L, 1);
    out.Error(text);
  }
  lua_settop(L, base);
  if (kind_ == Kind::kEval) {
    lua_pushnil(L);
    lua_setglobal(L, "KEYS");
    lua_pushnil(L);
    lua_setglobal(L, "ARGV");
  }
  // A failed run may leave much garbage (a script stopped at the memory limit): collect now so
  // that used_memory comes back. A run that went well is left to the incremental collector.
  // (Two collections: the second shrinks the string table and buffers the first emptied.)
  if (err != 0) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
  }
  limit_ = saved_limit;
  run_ = nullptr;
}

bool LuaVm::LoadLibrary(int chunk_ref, std::vector<Registered>* out, std::string* error,
                        Host& host) {
  RunState rs;
  rs.host = &host;
  rs.loading = true;
  rs.load_deadline_us = MonotonicUs() + kLoadTimeoutUs;
  rs.registered = out;
  run_ = &rs;
  lua_State* L = L_;
  const int base = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, chunk_ref);
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  const size_t saved_limit = limit_;
  const int err = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, Hook, 0, 0);
  limit_ = 0;
  bool ok = true;
  if (err != 0) {
    ok = false;
    std::string msg;
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      const char* s = lua_tostring(L, -1);
      msg = s == nullptr ? "unknown error" : s;
      lua_pop(L, 1);
    } else {
      const char* s = lua_tostring(L, -1);
      msg = std::string("ERR ") + (s == nullptr ? "unknown error" : s);
    }
    *error = "Error registering functions: " + msg;
    for (const Registered& r : *out) luaL_unref(L, LUA_REGISTRYINDEX, r.ref);
    out->clear();
    lua_gc(L, LUA_GCCOLLECT, 0);
  }
  lua_settop(L, base);
  limit_ = saved_limit;
  run_ = nullptr;
  return ok;
}

}  // namespace mnemo::script
