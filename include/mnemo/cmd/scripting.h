// scripting.h: EVAL scripts and FUNCTION libraries on top of the Lua VMs (layer: cmd).
//
// Scripting owns the two interpreters (script/lua_vm.h), the EVAL script cache keyed by SHA1,
// the function libraries, and the run in progress. It is the VMs' Host: redis.call arrives
// here, is checked as Redis 7.0's scriptCall checks it (noscript commands, arity, ACL, writes
// in read-only scripts, OOM before the first write) and runs through the dispatcher on the
// script's own client, so that every write goes through the keyspace-change seam and is
// propagated as its effect inside the execution unit of EVAL/FCALL (wrapped in MULTI/EXEC).
//
// Busy scripts: past busy-reply-threshold the count hook lets the server process events
// (ServerApi::ProcessEventsWhileBusy) while the dispatcher answers -BUSY to every command
// without the allow_busy flag; SCRIPT KILL / FUNCTION KILL stop a script that has not written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mnemo/cmd/client.h"
#include "mnemo/script/lua_vm.h"

namespace mnemo::cmd {

class Dispatcher;
class ServerApi;
struct CommandSpec;
struct Context;

// The keys and the arguments of EVAL/EVALSHA/FCALL: argv[3 .. 3+numkeys) and the rest.
struct ScriptInput {
  std::span<const std::string_view> keys;
  std::span<const std::string_view> args;
};

class Scripting final : public script::Host {
 public:
  // Redis 7.4 keeps at most this many scripts that arrived by EVAL (not SCRIPT LOAD): the
  // oldest is evicted when one more is added (evalRegisterNewLuaScript).
  static constexpr size_t kMaxEvalScripts = 500;

  Scripting(Dispatcher& dispatcher, ServerApi& server);
  Scripting(const Scripting&) = delete;
  Scripting& operator=(const Scripting&) = delete;
  ~Scripting() override;

  // ---- commands (script_cmds.cc calls these from the handlers) ----
  void Eval(Context& ctx, bool by_sha, bool read_only);
  void Fcall(Context& ctx, bool read_only);
  void ScriptLoad(Context& ctx);
  void ScriptExists(Context& ctx);
  void ScriptFlush();
  void Kill(Context& ctx, bool eval);
  void FunctionLoad(Context& ctx);
  void FunctionDelete(Context& ctx);
  void FunctionFlush();
  void FunctionList(Context& ctx);
  void FunctionStats(Context& ctx);
  void FunctionDump(Context& ctx);
  void FunctionRestore(Context& ctx);

  // The flags of an EVAL*/FCALL* call (a row with kScriptFlags) as the script or function it
  // names declares them (Redis getCommandFlags / scriptFlagsToCmdFlags): write and denyoom
  // unless no-writes (or allow-oom for denyoom), no may_replicate; a script without a shebang,
  // or one not found, keeps the row's flags.
  uint32_t CommandFlags(const CommandSpec& spec, std::span<const std::string_view> argv);

  // The shebang flags of an EVAL body, or kScriptEvalCompat without one; on a bad shebang
  // returns false with Redis's error text.
  static bool ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                           std::string* error);

  // ---- limits (config) ----
  void set_busy_threshold_ms(int64_t ms) { busy_threshold_ms_ = ms; }
  // lua-memory-limit as computed by the server (0: none).
  void set_memory_limit(size_t bytes);

  // ---- state ----
  bool running() const { return running_; }
  // Stops the run in progress at its next hook call, even one that has written (tests and
  // the fuzz target's watchdog; clients use SCRIPT KILL, or SHUTDOWN NOSAVE).
  void Abort() {
    if (running_) killed_ = true;
  }
  // Past busy-reply-threshold: other clients get -BUSY.
  bool busy() const { return busy_; }
  // The -BUSY text for the run in progress (SCRIPT KILL for EVAL, FUNCTION KILL for FCALL).
  std::string_view BusyError() const;

  // Library code of every loaded library, in name order (RDB, FUNCTION DUMP).
  std::vector<std::string> LibraryCodes() const;
  // Loads a library's code as FUNCTION LOAD REPLACE does (RDB load, FUNCTION RESTORE).
  bool LoadLibraryCode(std::string_view code, bool replace, std::string* error);

  // ---- memory (INFO memory, MEMORY STATS) ----
  struct Memory {
    size_t vm_eval = 0;          // used_memory_vm_eval (and used_memory_lua)
    size_t scripts_eval = 0;     // used_memory_scripts_eval
    size_t cached_scripts = 0;   // number_of_cached_scripts
    size_t vm_functions = 0;     // used_memory_vm_functions
    size_t functions = 0;        // used_memory_functions
    size_t num_functions = 0;    // number_of_functions
    size_t num_libraries = 0;    // number_of_libraries
    size_t vm_baseline = 0;      // both heaps when the interpreters were made (startup)
  };
  Memory MemoryUsage() const;
  uint64_t evicted_scripts() const { return evicted_scripts_; }

  // ---- script::Host ----
  bool Call(std::span<const std::string_view> argv, protocol::ReplyBuilder& reply,
            std::string* error) override;
  bool Interrupt() override;
  int AclCheck(std::span<const std::string_view> argv) override;
  void Log(int level, std::string_view message) override;
  void SetReplication(int flags) override;

 private:
  // Lookups by string_view, without building a std::string per call.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Script {
    std::string body;
    uint32_t flags = 0;
    int ref = 0;
    bool from_eval = false;  // arrived by EVAL: may be evicted
    std::list<std::string>::iterator lru;
  };
  struct Function {
    std::string name;
    std::string description;
    uint32_t flags = 0;
    int ref = 0;
    std::string library;
  };
  using FunctionMap = std::unordered_map<std::string, Function, NameHash, std::equal_to<>>;
  struct Library {
    std::string name;
    std::string code;
    std::vector<std::string> functions;  // names
  };

  // The cached script of a SHA1 in any case; null if none.
  Script* FindScript(std::string_view sha);
  // Finds or compiles+caches a script; null with the error reply text on failure.
  Script* CacheScript(std::string_view body, bool from_eval, std::string* error,
                      std::string* sha);
  void EvictOldestEvalScript();
  // Runs a script or function for `ctx` with its flags checked first.
  void RunScript(Context& ctx, script::LuaVm& vm, int ref, uint32_t flags, bool eval_mode,
                 bool read_only, std::string_view name, const ScriptInput& input);
  bool CreateLibrary(std::string_view code, bool replace, std::string* error,
                     std::map<std::string, Library>* libs,
                     FunctionMap* functions);
  void ReleaseFunctions();

  Dispatcher& dispatcher_;
  ServerApi& server_;
  std::unique_ptr<script::LuaVm> eval_vm_;
  std::unique_ptr<script::LuaVm> functions_vm_;
  std::unordered_map<std::string, Script, NameHash, std::equal_to<>> scripts_;  // by SHA1 hex
  std::list<std::string> eval_lru_;                  // SHA1s of EVAL scripts, oldest first
  size_t scripts_bytes_ = 0;
  uint64_t evicted_scripts_ = 0;
  std::map<std::string, Library> libraries_;
  FunctionMap functions_;
  size_t memory_limit_ = 0;
  size_t vm_baseline_ = 0;
  int64_t busy_threshold_ms_ = 5000;

  // The run in progress.
  Client script_client_;
  Client* caller_ = nullptr;
  bool running_ = false;
  bool busy_ = false;
  bool killed_ = false;
  bool wrote_ = false;
  bool eval_mode_ = true;
  bool read_only_ = false;
  bool oom_at_start_ = false;
  uint32_t run_flags_ = 0;
  int64_t start_ms_ = 0;
  std::string_view run_name_;  // the SHA1 or function name, owned by the caller of RunScript
  // The caller's command while it runs (FUNCTION STATS); the caller's argv outlives the run.
  std::span<const std::string_view> running_args_;
};

}  // namespace mnemo::cmd
