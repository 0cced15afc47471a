// lua_vm.h: one sandboxed Lua 5.1 interpreter with the `redis` API, its heap counted and bounded
// through the mem layer (layer: script).
//
// Redis 7.0 runs EVAL scripts in one interpreter and function libraries in another; each is a
// LuaVm here. The VM knows nothing of commands: redis.call reaches the server through a Host the
// caller supplies for the duration of a run, and the VM converts between Lua values and RESP
// (both directions, RESP2 and RESP3) exactly as Redis 7.0's script_lua.c does.
//
// The sandbox (Redis 7.0's): base (without print, dofile, loadfile, getfenv, setfenv, newproxy),
// table, string, math (random/randomseed replaced by Redis's lrand48 generator), cjson and bit
// (Debian's lua-cjson and lua-bitop), coroutine; no os, io, package/require, debug. Precompiled
// bytecode is refused by loadstring and load (Redis patches Lua for that; Debian's Lua is not
// patched, so the two functions are replaced). Globals and library tables are read-only: Redis
// patches the VM with read-only tables, here scripts see proxies whose writes fail with Redis's
// texts ("Attempt to modify a readonly table", "Script attempted to access nonexistent global
// variable 'x'"); rawset, setmetatable and table.insert/remove/sort refuse the proxies too, while
// pairs, next, ipairs and rawget see through them (Redis's read-only tables are the tables).
//
// Memory: every block the interpreter allocates comes from mem::Alloc (so it is part of
// used_memory), and the VM's heap may not pass its limit (lua-memory-limit): an allocation that
// would is refused, Lua raises "not enough memory", the script gets an error reply, and a full
// collection after the run returns the memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/protocol/reply_builder.h"

struct lua_State;

namespace mnemo::script {

// Shebang / register_function flags (Redis SCRIPT_FLAG_*).
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptEvalCompat = 1u << 4,  // EVAL without a shebang: Redis's pre-7.0 rules
  kScriptAllowCrossSlot = 1u << 5,
};
// "no-writes" -> kScriptNoWrites; 0 if unknown.
uint32_t ScriptFlagByName(std::string_view name);
// The flag names of `flags`, in Redis's order (FUNCTION LIST).
std::vector<std::string_view> ScriptFlagNames(uint32_t flags);

// What a running script reaches the server through (implemented by the command layer).
class Host {
 public:
  virtual ~Host() = default;
  // Runs argv for redis.call/pcall. On refusal (unknown command, noscript, ACL, write in a
  // read-only script, OOM) returns false with *error set to the error text ("ERR ..." or
  // "-CODE ..." style, without CR/LF); else runs it, writing its reply into `reply` (whose
  // protocol is the script's redis.setresp choice), and returns true.
  virtual bool Call(std::span<const std::string_view> argv, protocol::ReplyBuilder& reply,
                    std::string* error) = 0;
  // Called every kHookInstructions instructions: returns true iff the script must stop now
  // (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE).
  virtual bool Interrupt() = 0;
  // redis.acl_check_cmd: 1 if the script's user may run argv, 0 if not, -1 for an unknown
  // command.
  virtual int AclCheck(std::span<const std::string_view> argv) = 0;
  // redis.log at a Redis level (0 debug .. 3 warning).
  virtual void Log(int level, std::string_view message) = 0;
  // redis.set_repl: REPL_* bits (0: propagate nothing from now on; any other: propagate).
  virtual void SetReplication(int flags) = 0;
};

// The result of compiling a chunk.
struct Compiled {
  int ref = 0;  // registry reference of the function; 0 on error
  std::string error;
};

class LuaVm {
 public:
  enum class Kind : uint8_t { kEval, kFunctions };
  // How often the count hook runs (Redis LUA_MASKCOUNT 100000).
  static constexpr int kHookInstructions = 100000;

  explicit LuaVm(Kind kind);
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;
  ~LuaVm();

  // Compiles `body` (chunk name "@user_script" or "@user_function") as a function whose
  // globals are the protected sandbox. The function stays referenced until Release.
  Compiled Compile(std::string_view body, std::string_view chunk_name);
  void Release(int ref);

  // Runs the function `ref` with KEYS and ARGV (eval) or with (keys, args) as its two
  // arguments (functions), and writes its reply (or error) into `out`. `name` is what error
  // replies cite ("script: <name>, on @user_script:1."). `eval_mode` selects the SCRIPT KILL /
  // FUNCTION KILL texts of a killed script.
  void Run(int ref, std::span<const std::string_view> keys, std::span<const std::string_view> args,
           std::string_view name, Host& host, protocol::ReplyBuilder& out, bool eval_mode);

  // Library loading (functions VM): runs the compiled library chunk with redis.register_function
  // available. Returns the registered functions (name, flags, registry ref of the callback), or
  // the error text ("Error registering functions: ...").
  struct Registered {
    std::string name;
    std::string description;
    uint32_t flags = 0;
    int ref = 0;
  };
  bool LoadLibrary(int chunk_ref, std::vector<Registered>* out, std::string* error, Host& host);

  // Bytes the interpreter holds now (Redis used_memory_vm_eval / used_memory_vm_functions).
  size_t heap_bytes() const { return heap_bytes_; }
  // The heap may not pass `bytes` (0: no limit). Takes effect for the next allocation.
  void set_memory_limit(size_t bytes) { limit_ = bytes; }
  // Full collection (after a script that failed, or after SCRIPT FLUSH).
  void CollectGarbage();

  lua_State* state() { return L_; }

  // ---- internals used by the C callbacks (lua_vm.cc) ----
  struct RunState;
  RunState* run() { return run_; }

 private:
  static void* Allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  void OpenSandbox();

  Kind kind_;
  lua_State* L_ = nullptr;
  size_t heap_bytes_ = 0;
  size_t limit_ = 0;
  bool limit_hit_ = false;
  RunState* run_ = nullptr;
  std::unique_ptr<RunState> scratch_;
};

// SHA1 of `data` as 40 lower-case hex digits (OpenSSL).
std::string Sha1Hex(std::string_view data);

// Redis's rand.c generator (lrand48), one per process as in Redis: math.random in scripts.
int32_t RedisLrand48();
void RedisSrand48(int32_t seed);

}  // namespace mnemo::script
