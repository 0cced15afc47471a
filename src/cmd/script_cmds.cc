// script_cmds.cc: EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT FCALL FCALL_RO FUNCTION, and the
// Scripting object behind them (layer: cmd). Redis 7.0's eval.c, function.c and script.c are
// the spec; scripting.h describes the design.
#include <algorithm>
#include <cstring>

#include "mnemo/base/clock.h"
#include "mnemo/base/glob.h"
#include "mnemo/base/log.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/cmd/scripting.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/protocol/errors.h"

namespace mnemo::cmd {

namespace {

constexpr std::string_view kErrNoScript = "NOSCRIPT No matching script. Please use EVAL.";
constexpr std::string_view kErrBusyEval =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
constexpr std::string_view kErrBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
constexpr std::string_view kErrNotBusy = "NOTBUSY No scripts in execution right now.";
constexpr std::string_view kErrUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
constexpr std::string_view kErrRoWithWriteFlag =
    "ERR Can not execute a script with write flag using *_ro command.";
constexpr std::string_view kErrAllowOom =
    "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";

// Bytes of a cached script (Redis used_memory_scripts_eval: the SHA key and the body, in
// allocator classes, plus the table entry).
size_t ScriptBytes(std::string_view body) {
  return mem::SizeClass(41) + mem::SizeClass(body.size() + 1) + mem::SizeClass(64);
}

void FcallCommand(Context& ctx);
void FcallRoCommand(Context& ctx);
void EvalShaCommand(Context& ctx);
void EvalShaRoCommand(Context& ctx);

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// numkeys at argv[2] of EVAL, EVALSHA, FCALL and their _RO forms (Redis evalGenericCommand,
// fcallCommandGeneric, and their key specs).
enum class Numkeys : uint8_t { kOk, kNotInteger, kTooMany, kNegative };
Numkeys ParseNumkeys(std::span<const std::string_view> argv, size_t* numkeys) {
  if (argv.size() < 3) return Numkeys::kNotInteger;
  const auto n = ParseInt64(argv[2]);
  if (!n) return Numkeys::kNotInteger;
  if (*n > static_cast<int64_t>(argv.size() - 3)) return Numkeys::kTooMany;
  if (*n < 0) return Numkeys::kNegative;
  *numkeys = static_cast<size_t>(*n);
  return Numkeys::kOk;
}

// The keys and the arguments of a script's call: argv[3 .. 3+numkeys) and the rest. On a bad
// numkeys, replies with Redis's error (`not_int_error` for one that is not a number) and
// returns false.
bool ParseScriptInput(Context& ctx, std::string_view not_int_error, ScriptInput* input) {
  size_t numkeys = 0;
  switch (ParseNumkeys(ctx.argv, &numkeys)) {
    case Numkeys::kOk:
      break;
    case Numkeys::kNotInteger:
      ctx.reply.Error(not_int_error);
      return false;
    case Numkeys::kTooMany:
      ctx.reply.Error("ERR Number of keys can't be greater than number of args");
      return false;
    case Numkeys::kNegative:
      ctx.reply.Error("ERR Number of keys can't be negative");
      return false;
  }
  input->keys = ctx.argv.subspan(3, numkeys);
  input->args = ctx.argv.subspan(3 + numkeys);
  return true;
}

// Splits the first line on spaces (Redis sdssplitargs; scripts' shebangs carry no quotes).
std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool ValidLibraryName(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Scripting::Scripting(Dispatcher& dispatcher, ServerApi& server)
    : dispatcher_(dispatcher),
      server_(server),
      eval_vm_(std::make_unique<script::LuaVm>(script::LuaVm::Kind::kEval)),
      functions_vm_(std::make_unique<script::LuaVm>(script::LuaVm::Kind::kFunctions)) {
  script_client_.in_script = true;
  script_client_.authenticated = true;
  script_client_.name = "lua";
  vm_baseline_ = eval_vm_->heap_bytes() + functions_vm_->heap_bytes();
  // OpenSSL initializes itself at its first digest (about 120 KB): at startup, so that it is
  // part of used_memory_startup rather than of the first SCRIPT LOAD.
  (void)script::Sha1Hex("");
}

Scripting::~Scripting() = default;

void Scripting::set_memory_limit(size_t bytes) {
  memory_limit_ = bytes;
  eval_vm_->set_memory_limit(bytes);
  functions_vm_->set_memory_limit(bytes);
}

std::string_view Scripting::BusyError() const {
  return eval_mode_ ? kErrBusyEval : kErrBusyFunction;
}

bool Scripting::ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                             std::string* error) {
  *flags = script::kScriptEvalCompat;
  *shebang_len = 0;
  if (body.substr(0, 2) != "#!") return true;
  const size_t nl = body.find('\n');
  if (nl == std::string_view::npos) {
    *error = "ERR Invalid script shebang";
    return false;
  }
  *shebang_len = nl;
  const std::vector<std::string_view> parts = SplitWords(body.substr(0, nl));
  if (parts.empty()) {
    *error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + std::string(parts[0]);
    return false;
  }
  uint32_t f = 0;
  for (size_t j = 1; j < parts.size(); ++j) {
    if (parts[j].substr(0, 6) != "flags=") {
      *error = "ERR Unknown lua shebang option: " + std::string(parts[j]);
      return false;
    }
    std::string_view list = parts[j].substr(6);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view name = list.substr(0, comma);
      const uint32_t bit = script::ScriptFlagByName(name);
      if (bit == 0) {
        *error = "ERR Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      f |= bit;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
      if (list.empty()) {  // a trailing comma leaves an empty flag (sdssplitlen)
        *error = "ERR Unexpected flag in script shebang: ";
        return false;
      }
    }
  }
  *flags = f;
  return true;
}

Scripting::Script* Scripting::CacheScript(std::string_view body, bool from_eval,
                                          std::string* error, std::string* sha_out) {
  std::string sha = script::Sha1Hex(body);
  if (sha_out != nullptr) *sha_out = sha;
  auto it = scripts_.find(sha);
  if (it != scripts_.end()) {
    Script& s = it->second;
    if (s.from_eval) {
      if (from_eval) {
        eval_lru_.splice(eval_lru_.end(), eval_lru_, s.lru);  // most recently used
      } else {
        // SCRIPT LOAD makes it permanent (Redis 7.4).
        eval_lru_.erase(s.lru);
        s.from_eval = false;
      }
    }
    return &s;
  }
  uint32_t flags = 0;
  size_t shebang_len = 0;
  if (!ParseShebang(body, &flags, &shebang_len, error)) return nullptr;
  // The shebang line is skipped, its line feed kept, so that line numbers stay the user's.
  script::Compiled c = eval_vm_->Compile(body.substr(shebang_len), "@user_script");
  if (c.ref == 0) {
    *error = "ERR Error compiling script (new function): " + c.error;
    return nullptr;
  }
  if (from_eval && eval_lru_.size() >= kMaxEvalScripts) EvictOldestEvalScript();
  Script& s = scripts_[sha];
  s.body = std::string(body);
  s.flags = flags;
  s.ref = c.ref;
  s.from_eval = from_eval;
  if (from_eval) s.lru = eval_lru_.insert(eval_lru_.end(), sha);
  scripts_bytes_ += ScriptBytes(body);
  return &s;
}

void Scripting::EvictOldestEvalScript() {
  const std::string sha = eval_lru_.front();
  eval_lru_.pop_front();
  auto it = scripts_.find(sha);
  if (it == scripts_.end()) return;
  eval_vm_->Release(it->second.ref);
  scripts_bytes_ -= ScriptBytes(it->second.body);
  scripts_.erase(it);
  ++evicted_scripts_;
}

void Scripting::Eval(Context& ctx, bool by_sha, bool read_only) {
  ScriptInput input;
  if (!ParseScriptInput(ctx, protocol::kErrNotInteger, &input)) return;
  Script* s = nullptr;
  std::string sha;
  if (by_sha) {
    s = FindScript(ctx.arg(1));
    if (s == nullptr) {
      ctx.reply.Error(kErrNoScript);
      return;
    }
    if (s->from_eval) eval_lru_.splice(eval_lru_.end(), eval_lru_, s->lru);
  } else {
    std::string error;
    s = CacheScript(ctx.arg(1), true, &error, &sha);
    if (s == nullptr) {
      ctx.reply.Error(error);
      return;
    }
  }
  // Copied: an eviction while the script runs cannot happen (EVAL is noscript), but the
  // reference must not depend on that.
  const int ref = s->ref;
  const uint32_t flags = s->flags;
  // The name errors cite: the SHA1 as given (EVALSHA) or computed (EVAL), in lower case.
  char name[40];
  std::string_view run_name = sha;
  if (by_sha) {
    for (size_t i = 0; i < sizeof(name); ++i) name[i] = LowerAscii(ctx.arg(1)[i]);
    run_name = std::string_view(name, sizeof(name));
  }
  RunScript(ctx, *eval_vm_, ref, flags, true, read_only, run_name, input);
}

Scripting::Script* Scripting::FindScript(std::string_view sha) {
  if (sha.size() != 40) return nullptr;
  char lower[40];
  for (size_t i = 0; i < sizeof(lower); ++i) lower[i] = LowerAscii(sha[i]);
  auto it = scripts_.find(std::string_view(lower, sizeof(lower)));
  return it == scripts_.end() ? nullptr : &it->second;
}

uint32_t Scripting::CommandFlags(const CommandSpec& spec, std::span<const std::string_view> argv) {
  uint32_t script_flags = 0;
  if (argv.size() < 2) return spec.flags;
  if (spec.handler == FcallCommand || spec.handler == FcallRoCommand) {
    auto it = functions_.find(argv[1]);
    if (it == functions_.end()) return spec.flags;
    script_flags = it->second.flags;
  } else if (spec.handler == EvalShaCommand || spec.handler == EvalShaRoCommand) {
    const Script* s = FindScript(argv[1]);
    if (s == nullptr) return spec.flags;
    script_flags = s->flags;
  } else {
    // EVAL: the cached script of this body, else the body's own shebang (Redis
    // evalGetCommandFlags).
    const auto it = scripts_.find(script::Sha1Hex(argv[1]));
    if (it != scripts_.end()) {
      script_flags = it->second.flags;
    } else {
      size_t shebang_len = 0;
      std::string error;
      if (!ParseShebang(argv[1], &script_flags, &shebang_len, &error)) return spec.flags;
    }
  }
  if (script_flags & script::kScriptEvalCompat) return spec.flags;
  uint32_t flags = spec.flags & ~(kStale | kDenyOom | kWrite | kMayReplicate);
  if (!(script_flags & (script::kScriptAllowOom | script::kScriptNoWrites))) flags |= kDenyOom;
  if (!(script_flags & script::kScriptNoWrites)) flags |= kWrite;
  if (script_flags & script::kScriptAllowStale) flags |= kStale;
  return flags;
}

void Scripting::Fcall(Context& ctx, bool read_only) {
  auto it = functions_.find(ctx.arg(1));
  if (it == functions_.end()) {
    ctx.reply.Error("ERR Function not found");
    return;
  }
  ScriptInput input;
  if (!ParseScriptInput(ctx, "ERR Bad number of keys provided", &input)) return;
  const Function& f = it->second;
  const std::string name = f.name;
  RunScript(ctx, *functions_vm_, f.ref, f.flags, false, read_only, name, input);
}

void Scripting::RunScript(Context& ctx, script::LuaVm& vm, int ref, uint32_t flags,
                          bool eval_mode, bool read_only, std::string_view name,
                          const ScriptInput& input) {
  const bool oom = dispatcher_.oom_at_start();
  if (!(flags & script::kScriptEvalCompat)) {
    if (!(flags & script::kScriptNoWrites) && !(flags & script::kScriptAllowOom) && oom) {
      // Redis refuses these before running them: the command is denyoom for such a script.
      ctx.reply.Error(protocol::kErrOom);
      return;
    }
    if (!(flags & script::kScriptAllowOom) && oom) {
      ctx.reply.Error(kErrAllowOom);
      return;
    }
    if (!(flags & script::kScriptNoWrites) && read_only) {
      ctx.reply.Error(kErrRoWithWriteFlag);
      return;
    }
    // A script that may write is a write command for -MISCONF (Redis's processCommand sees
    // EVAL of such a script with the write flag).
    if (!(flags & script::kScriptNoWrites)) {
      if (std::string misconf = dispatcher_.DiskError(); !misconf.empty()) {
        ctx.reply.Error(misconf);
        return;
      }
      // A read-only replica, too few good replicas (Redis evalGenericCommand's checks).
      if (std::string refused = dispatcher_.ReplicationRefusal(ctx.client, true, false);
          !refused.empty()) {
        ctx.reply.Error(refused);
        return;
      }
    }
  }
  // The script's effects leave as the commands it ran (Call propagates them), in this unit.
  ctx.PreventPropagation();
  script_client_.db = ctx.client.db;
  script_client_.user = ctx.client.user;
  script_client_.no_touch = ctx.client.no_touch;
  caller_ = &ctx.client;
  running_ = true;
  busy_ = false;
  killed_ = false;
  wrote_ = false;
  eval_mode_ = eval_mode;
  read_only_ = read_only || (flags & script::kScriptNoWrites);
  oom_at_start_ = oom;
  run_flags_ = flags;
  start_ms_ = (MonotonicUs() / 1000);
  run_name_ = name;
  running_args_ = ctx.argv;
  vm.Run(ref, input.keys, input.args, name, *this, ctx.reply, eval_mode);
  running_args_ = {};
  if (busy_) {
    LogWarning("Slow script finished after {} milliseconds.", (MonotonicUs() / 1000) - start_ms_);
  }
  running_ = false;
  busy_ = false;
  caller_ = nullptr;
  script_client_.user.reset();
  dispatcher_.keyspace().changes().set_targets(db::kPropagateAll);
}

bool Scripting::Call(std::span<const std::string_view> argv, protocol::ReplyBuilder& reply,
                     std::string* error) {
  Dispatcher::Entry* entry = dispatcher_.LookupForScript(argv);
  // A refusal counts in the error statistics now (Redis scriptCall); the script's error reply
  // made of it later does not count again.
  auto reject = [&](std::string_view text) {
    if (!text.empty()) *error = text;
    dispatcher_.CountScriptRejection(entry, *error);
    return false;
  };
  if (entry == nullptr || entry->disabled) {
    entry = nullptr;
    return reject("Unknown Redis command called from script");
  }
  const CommandSpec& spec = *entry->spec;
  const int arity = spec.arity;
  if ((arity > 0 && static_cast<size_t>(arity) != argv.size()) ||
      (arity < 0 && argv.size() < static_cast<size_t>(-arity))) {
    return reject("Wrong number of args calling Redis command from script");
  }
  // A container command called without a subcommand is unknown too.
  if (!entry->subcommands.empty()) return reject("Unknown Redis command called from script");
  if (spec.flags & kNoScript) return reject("This Redis command is not allowed from script");
  if (!dispatcher_.ScriptAclCheck(script_client_, argv, error)) return reject({});
  if (read_only_ && (spec.flags & (kWrite | kMayReplicate))) {
    return reject("Write commands are not allowed from read-only scripts.");
  }
  if (!(run_flags_ & script::kScriptAllowOom) && !wrote_ && oom_at_start_ &&
      (spec.flags & kDenyOom)) {
    return reject("-" + std::string(protocol::kErrOom));
  }
  if (spec.flags & kWrite) {
    // Redis scriptVerifyWriteCommandAllow: no write while a save or the AOF failed.
    if (std::string misconf = dispatcher_.DiskError(); !misconf.empty()) {
      *error = "-" + misconf;
      return false;
    }
    // -READONLY on a read-only replica, -NOREPLICAS (unless the primary runs the script).
    if (caller_ != nullptr) {
      if (std::string refused = dispatcher_.ReplicationRefusal(*caller_, true, false);
          !refused.empty()) {
        *error = "-" + refused;
        return false;
      }
    }
    wrote_ = true;
  }
  dispatcher_.ExecuteFromScript(*entry, script_client_, argv, reply);
  return true;
}

int Scripting::AclCheck(std::span<const std::string_view> argv) {
  const Dispatcher::Entry* entry = dispatcher_.Resolve(argv);
  if (entry == nullptr || entry->disabled || !entry->subcommands.empty()) return -1;
  std::string error;
  return dispatcher_.ScriptAclCheck(script_client_, argv, &error, false) ? 1 : 0;
}

bool Scripting::Interrupt() {
  const int64_t elapsed = (MonotonicUs() / 1000) - start_ms_;
  if (!busy_) {
    if (elapsed < busy_threshold_ms_) return killed_;
    busy_ = true;
    LogWarning(
        "Slow script detected: still in execution after {} milliseconds. You can try killing the "
        "script using the {} command. Script name is: {}.",
        elapsed, eval_mode_ ? "SCRIPT KILL" : "FUNCTION KILL", run_name_);
  }
  // Other clients are served (and get -BUSY) while the script runs; false: shutting down.
  // Their commands make themselves client tracking's current client: the script's caller is
  // made current again, so that invalidations of keys the script changes from now on still
  // wait for its reply.
  Tracking& tracking = dispatcher_.tracking();
  Client* const current = tracking.current();
  if (!server_.ProcessEventsWhileBusy()) killed_ = true;
  tracking.set_current(current);
  return killed_;
}

void Scripting::Log(int level, std::string_view message) {
  if (!LogEnabled(static_cast<LogLevel>(level))) return;
  LogMessage(static_cast<LogLevel>(level), message);
}

void Scripting::SetReplication(int flags) {
  // REPL_AOF and REPL_REPLICA are the seam's targets (db::PropagateTarget): what the script
  // runs from now on reaches only the AOF, or only the replicas.
  dispatcher_.keyspace().changes().set_targets(static_cast<uint8_t>(flags));
}

void Scripting::Kill(Context& ctx, bool eval) {
  if (!running_) {
    ctx.reply.Error(kErrNotBusy);
    return;
  }
  if (wrote_) {
    ctx.reply.Error(kErrUnkillable);
    return;
  }
  if (eval != eval_mode_) {
    ctx.reply.Error(eval ? kErrBusyFunction : kErrBusyEval);
    return;
  }
  killed_ = true;
  ctx.reply.Ok();
}

void Scripting::ScriptLoad(Context& ctx) {
  std::string error;
  std::string sha;
  if (CacheScript(ctx.arg(2), false, &error, &sha) == nullptr) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Bulk(sha);
}

void Scripting::ScriptExists(Context& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Integer(scripts_.count(ToLower(ctx.arg(i))) ? 1 : 0);
  }
}

void Scripting::ScriptFlush() {
  // A new interpreter, as Redis (scriptingReset): nothing a script left behind survives.
  scripts_.clear();
  eval_lru_.clear();
  scripts_bytes_ = 0;
  eval_vm_ = std::make_unique<script::LuaVm>(script::LuaVm::Kind::kEval);
  eval_vm_->set_memory_limit(memory_limit_);
}

// ---- functions ----------------------------------------------------------------------------

bool Scripting::CreateLibrary(std::string_view code, bool replace, std::string* error,
                              std::map<std::string, Library>* libs,
                              FunctionMap* functions) {
  if (code.substr(0, 2) != "#!") {
    *error = "ERR Missing library metadata";
    return false;
  }
  const size_t nl = code.find('\n');
  if (nl == std::string_view::npos) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  const std::vector<std::string_view> parts = SplitWords(code.substr(0, nl));
  if (parts.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  const std::string engine(parts[0].substr(2));
  std::string name;
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && EqualsIgnoreCase(parts[i].substr(0, 5), "name=")) {
      if (have_name) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      name = std::string(parts[i].substr(5));
      have_name = true;
      continue;
    }
    *error = "ERR Invalid metadata value given: " + std::string(parts[i]);
    return false;
  }
  if (!have_name) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidLibraryName(name)) {
    *error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *error = "ERR Engine '" + engine + "' not found";
    return false;
  }
  auto old = libs->find(name);
  if (old != libs->end() && !replace) {
    *error = "ERR Library '" + name + "' already exists";
    return false;
  }
  // The code after the shebang, from its line feed on (line numbers stay the user's).
  script::Compiled c = functions_vm_->Compile(code.substr(nl), "@user_function");
  if (c.ref == 0) {
    *error = "ERR Error compiling function: " + c.error;
    return false;
  }
  std::vector<script::LuaVm::Registered> registered;
  std::string load_error;
  const bool ok = functions_vm_->LoadLibrary(c.ref, &registered, &load_error, *this);
  functions_vm_->Release(c.ref);
  auto release = [&] {
    for (const auto& r : registered) functions_vm_->Release(r.ref);
  };
  if (!ok) {
    *error = "ERR " + load_error;
    return false;
  }
  if (registered.empty()) {
    *error = "ERR No functions registered";
    return false;
  }
  for (const auto& r : registered) {
    auto f = functions->find(r.name);
    if (f != functions->end() && f->second.library != name) {
      *error = "ERR Function " + r.name + " already exists";
      release();
      return false;
    }
  }
  if (old != libs->end()) {
    for (const std::string& fname : old->second.functions) {
      auto f = functions->find(fname);
      if (f != functions->end()) {
        functions_vm_->Release(f->second.ref);
        functions->erase(f);
      }
    }
    libs->erase(old);
  }
  Library lib;
  lib.name = name;
  lib.code = std::string(code);
  for (auto& r : registered) {
    lib.functions.push_back(r.name);
    Function f;
    f.name = r.name;
    f.description = r.description;
    f.flags = r.flags;
    f.ref = r.ref;
    f.library = name;
    (*functions)[r.name] = std::move(f);
  }
  std::sort(lib.functions.begin(), lib.functions.end());
  (*libs)[name] = std::move(lib);
  return true;
}

bool Scripting::LoadLibraryCode(std::string_view code, bool replace, std::string* error) {
  return CreateLibrary(code, replace, error, &libraries_, &functions_);
}

std::vector<std::string> Scripting::LibraryCodes() const {
  std::vector<std::string> out;
  for (const auto& [name, lib] : libraries_) out.push_back(lib.code);
  return out;
}

void Scripting::FunctionLoad(Context& ctx) {
  bool replace = false;
  size_t pos = 2;
  while (pos < ctx.argc() - 1) {
    const std::string_view a = ctx.arg(pos++);
    if (EqualsIgnoreCase(a, "replace")) {
      replace = true;
      continue;
    }
    ctx.reply.Error("ERR Unknown option given: " + std::string(a));
    return;
  }
  if (pos >= ctx.argc()) {
    ctx.reply.Error("ERR Function code is missing");
    return;
  }
  std::string error;
  const std::string_view code = ctx.arg(pos);
  if (!CreateLibrary(code, replace, &error, &libraries_, &functions_)) {
    ctx.reply.Error(error);
    return;
  }
  // The library name, as Redis replies it.
  const std::vector<std::string_view> parts = SplitWords(code.substr(0, code.find('\n')));
  for (std::string_view p : parts) {
    if (p.size() >= 5 && EqualsIgnoreCase(p.substr(0, 5), "name=")) {
      ctx.reply.Bulk(p.substr(5));
      ctx.ForcePropagation();
      return;
    }
  }
}

void Scripting::ReleaseFunctions() {
  for (auto& [name, f] : functions_) functions_vm_->Release(f.ref);
  functions_.clear();
  libraries_.clear();
}

void Scripting::FunctionDelete(Context& ctx) {
  auto it = libraries_.find(std::string(ctx.arg(2)));
  if (it == libraries_.end()) {
    ctx.reply.Error("ERR Library not found");
    return;
  }
  for (const std::string& fname : it->second.functions) {
    auto f = functions_.find(fname);
    if (f != functions_.end()) {
      functions_vm_->Release(f->second.ref);
      functions_.erase(f);
    }
  }
  libraries_.erase(it);
  functions_vm_->CollectGarbage();
  ctx.ForcePropagation();
  ctx.reply.Ok();
}

void Scripting::FunctionFlush() {
  ReleaseFunctions();
  functions_vm_ = std::make_unique<script::LuaVm>(script::LuaVm::Kind::kFunctions);
  functions_vm_->set_memory_limit(memory_limit_);
}

void Scripting::FunctionList(Context& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::string_view a = ctx.arg(i);
    if (!with_code && EqualsIgnoreCase(a, "withcode")) {
      with_code = true;
      continue;
    }
    if (!pattern && EqualsIgnoreCase(a, "libraryname")) {
      if (i >= ctx.argc() - 1) {
        ctx.reply.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.arg(++i);
      continue;
    }
    ctx.reply.Error("ERR Unknown argument " + std::string(a));
    return;
  }
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  for (const auto& [name, lib] : libraries_) {
    if (pattern && !GlobMatch(*pattern, name, true)) continue;
    ++n;
    ctx.reply.MapHeader(with_code ? 4 : 3);
    ctx.reply.Bulk("library_name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("engine");
    ctx.reply.Bulk("LUA");
    ctx.reply.Bulk("functions");
    ctx.reply.ArrayHeader(lib.functions.size());
    for (const std::string& fname : lib.functions) {
      const Function& f = functions_.at(fname);
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(f.name);
      ctx.reply.Bulk("description");
      if (f.description.empty()) {
        ctx.reply.Null();
      } else {
        ctx.reply.Bulk(f.description);
      }
      ctx.reply.Bulk("flags");
      const std::vector<std::string_view> names = script::ScriptFlagNames(f.flags);
      ctx.reply.SetHeader(names.size());
      for (std::string_view fl : names) ctx.reply.SimpleString(fl);
    }
    if (with_code) {
      ctx.reply.Bulk("library_code");
      ctx.reply.Bulk(lib.code);
    }
  }
  ctx.reply.EndDeferredArray(handle, n);
}

void Scripting::FunctionStats(Context& ctx) {
  // Redis 7.0 answers -BUSY (the SCRIPT KILL text) while an EVAL script is busy.
  if (running_ && eval_mode_) {
    ctx.reply.Error(kErrBusyEval);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  if (!running_) {
    ctx.reply.Null();
  } else {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(run_name_);
    ctx.reply.Bulk("command");
    ctx.reply.ArrayHeader(running_args_.size());
    for (std::string_view a : running_args_) ctx.reply.Bulk(a);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer((MonotonicUs() / 1000) - start_ms_);
  }
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(libraries_.size()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(functions_.size()));
}

void Scripting::FunctionDump(Context& ctx) {
  ctx.reply.Bulk(ctx.server.FunctionsPayload(LibraryCodes()));
}

void Scripting::FunctionRestore(Context& ctx) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.argc() > 4) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (ctx.argc() == 4) {
    const std::string_view p = ctx.arg(3);
    if (EqualsIgnoreCase(p, "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(p, "replace")) {
      policy = Policy::kReplace;
    } else if (EqualsIgnoreCase(p, "flush")) {
      policy = Policy::kFlush;
    } else {
      ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  std::vector<std::string> codes;
  const Status decoded = ctx.server.DecodeFunctionsPayload(ctx.arg(2), &codes);
  if (!decoded.ok()) {
    ctx.reply.Error(decoded.message());
    return;
  }
  // Load into a fresh set first; commit only if every library loads (Redis functionRestore).
  std::map<std::string, Library> libs;
  FunctionMap functions;
  std::string error;
  auto drop = [&] {
    for (auto& [name, f] : functions) functions_vm_->Release(f.ref);
  };
  for (const std::string& code : codes) {
    if (!CreateLibrary(code, false, &error, &libs, &functions)) {
      drop();
      ctx.reply.Error(error);
      return;
    }
  }
  if (policy == Policy::kFlush) {
    ReleaseFunctions();
  } else {
    for (const auto& [name, lib] : libs) {
      auto old = libraries_.find(name);
      if (old != libraries_.end() && policy == Policy::kAppend) {
        drop();
        ctx.reply.Error("ERR Library " + name + " already exists");
        return;
      }
    }
    for (const auto& [fname, f] : functions) {
      auto old = functions_.find(fname);
      if (old == functions_.end()) continue;
      if (policy == Policy::kAppend || !libs.count(old->second.library)) {
        drop();
        ctx.reply.Error("ERR Function " + fname + " already exists");
        return;
      }
    }
    for (const auto& [name, lib] : libs) {
      auto old = libraries_.find(name);
      if (old == libraries_.end()) continue;
      for (const std::string& fname : old->second.functions) {
        auto f = functions_.find(fname);
        if (f != functions_.end()) {
          functions_vm_->Release(f->second.ref);
          functions_.erase(f);
        }
      }
      libraries_.erase(old);
    }
  }
  for (auto& [name, lib] : libs) libraries_[name] = std::move(lib);
  for (auto& [fname, f] : functions) functions_[fname] = std::move(f);
  ctx.ForcePropagation();
  ctx.reply.Ok();
}

Scripting::Memory Scripting::MemoryUsage() const {
  Memory m;
  m.vm_eval = eval_vm_->heap_bytes();
  m.scripts_eval = scripts_bytes_;
  m.cached_scripts = scripts_.size();
  m.vm_functions = functions_vm_->heap_bytes();
  for (const auto& [name, lib] : libraries_) {
    m.functions += mem::SizeClass(name.size() + 1) + mem::SizeClass(lib.code.size() + 1) +
                   mem::SizeClass(96);
  }
  for (const auto& [name, f] : functions_) {
    m.functions += mem::SizeClass(name.size() + 1) + mem::SizeClass(f.description.size() + 1) +
                   mem::SizeClass(96);
  }
  m.num_functions = functions_.size();
  m.num_libraries = libraries_.size();
  m.vm_baseline = vm_baseline_;
  return m;
}

// ---- handlers -----------------------------------------------------------------------------

namespace {

void EvalCommand(Context& ctx) { ctx.dispatcher.scripting().Eval(ctx, false, false); }
void EvalShaCommand(Context& ctx) { ctx.dispatcher.scripting().Eval(ctx, true, false); }
void EvalRoCommand(Context& ctx) { ctx.dispatcher.scripting().Eval(ctx, false, true); }
void EvalShaRoCommand(Context& ctx) { ctx.dispatcher.scripting().Eval(ctx, true, true); }
void FcallCommand(Context& ctx) { ctx.dispatcher.scripting().Fcall(ctx, false); }
void FcallRoCommand(Context& ctx) { ctx.dispatcher.scripting().Fcall(ctx, true); }

void ScriptLoadCommand(Context& ctx) { ctx.dispatcher.scripting().ScriptLoad(ctx); }
void ScriptExistsCommand(Context& ctx) { ctx.dispatcher.scripting().ScriptExists(ctx); }
void ScriptKillCommand(Context& ctx) { ctx.dispatcher.scripting().Kill(ctx, true); }

// [ASYNC|SYNC]: both free at once (the interpreter is small next to a keyspace).
bool FlushMode(Context& ctx, std::string_view error) {
  if (ctx.argc() == 2) return true;
  if (ctx.argc() == 3 &&
      (EqualsIgnoreCase(ctx.arg(2), "async") || EqualsIgnoreCase(ctx.arg(2), "sync"))) {
    return true;
  }
  ctx.reply.Error(error);
  return false;
}

void ScriptFlushCommand(Context& ctx) {
  if (!FlushMode(ctx, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")) return;
  ctx.dispatcher.scripting().ScriptFlush();
  ctx.reply.Ok();
}

void HelpReply(Context& ctx, std::initializer_list<std::string_view> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view l : lines) ctx.reply.SimpleString(l);
}

void ScriptHelpCommand(Context& ctx) {
  HelpReply(ctx, {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  });
}

void ScriptDebugCommand(Context& ctx) {
  // No Lua debugger (LDB): accepted modes are refused as Redis does for clients that cannot
  // debug.
  ctx.reply.Error("ERR SCRIPT DEBUG is not supported by Mnemo");
}

void FunctionLoadCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionLoad(ctx); }
void FunctionDeleteCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionDelete(ctx); }
void FunctionListCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionList(ctx); }
void FunctionStatsCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionStats(ctx); }
void FunctionKillCommand(Context& ctx) { ctx.dispatcher.scripting().Kill(ctx, false); }
void FunctionDumpCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionDump(ctx); }
void FunctionRestoreCommand(Context& ctx) { ctx.dispatcher.scripting().FunctionRestore(ctx); }

void FunctionFlushCommand(Context& ctx) {
  if (!FlushMode(ctx, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")) return;
  ctx.dispatcher.scripting().FunctionFlush();
  ctx.ForcePropagation();
  ctx.reply.Ok();
}

void FunctionHelpCommand(Context& ctx) {
  HelpReply(ctx, {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
      "      libraries with the new libraries (notice that even on this option there is a chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  });
}

// Keys of EVAL/FCALL: numkeys at argv[2], the keys after it (Redis key spec KEYNUM 2).
bool ScriptKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys,
                uint8_t access) {
  size_t n = 0;
  if (ParseNumkeys(argv, &n) != Numkeys::kOk) return false;
  for (size_t i = 0; i < n; ++i) keys.push_back({3 + i, access});
  return true;
}
bool EvalKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return ScriptKeys(argv, keys, kKeyReadWrite);
}
bool EvalRoKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return ScriptKeys(argv, keys, kKeyRead);
}

// may_replicate: CLIENT PAUSE WRITE holds EVAL and FCALL back; kScriptFlags: for a script with
// flags, the script's flags decide instead (Scripting::CommandFlags), as in Redis 7.0.
constexpr uint32_t kEvalFlags =
    kNoScript | kSkipMonitor | kMayReplicate | kStale | kMovableKeys | kScriptFlags;
constexpr uint32_t kEvalRoFlags =
    kNoScript | kSkipMonitor | kStale | kReadOnly | kMovableKeys | kScriptFlags;

constexpr CommandSpec kScriptSubcommands[] = {
    {"debug", ScriptDebugCommand, 3, kNoScript, 0, 0, 0, "scripting",
     "Sets the debug mode of server-side Lua scripts.", "3.2.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"exists", ScriptExistsCommand, -3, kNoScript, 0, 0, 0, "scripting",
     "Determines whether server-side Lua scripts exist in the script cache.", "2.6.0",
     "O(N) with N being the number of scripts to check (so checking a single script is an O(1) "
     "operation).",
     kNoSubcommands, kAclSlow | kAclScripting},
    {"flush", ScriptFlushCommand, -2, kNoScript, 0, 0, 0, "scripting",
     "Removes all server-side Lua scripts from the script cache.", "2.6.0",
     "O(N) with N being the number of scripts in cache", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"help", ScriptHelpCommand, 2, kLoading | kStale, 0, 0, 0, "scripting",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"kill", ScriptKillCommand, 2, kNoScript | kAllowBusy, 0, 0, 0, "scripting",
     "Terminates a server-side Lua script during execution.", "2.6.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"load", ScriptLoadCommand, 3, kNoScript | kStale, 0, 0, 0, "scripting",
     "Loads a server-side Lua script to the script cache.", "2.6.0",
     "O(N) with N being the length in bytes of the script body.", kNoSubcommands,
     kAclSlow | kAclScripting},
};

constexpr CommandSpec kFunctionSubcommands[] = {
    {"delete", FunctionDeleteCommand, 3, kNoScript | kWrite, 0, 0, 0, "scripting",
     "Deletes a library and its functions.", "7.0.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"dump", FunctionDumpCommand, 2, kNoScript, 0, 0, 0, "scripting",
     "Dumps all libraries into a serialized binary payload.", "7.0.0",
     "O(N) where N is the number of functions", kNoSubcommands, kAclSlow | kAclScripting},
    {"flush", FunctionFlushCommand, -2, kNoScript | kWrite, 0, 0, 0, "scripting",
     "Deletes all libraries and functions.", "7.0.0",
     "O(N) where N is the number of functions deleted", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"help", FunctionHelpCommand, 2, kLoading | kStale, 0, 0, 0, "scripting",
     "Returns helpful text about the different subcommands.", "7.0.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"kill", FunctionKillCommand, 2, kNoScript | kAllowBusy, 0, 0, 0, "scripting",
     "Terminates a function during execution.", "7.0.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"list", FunctionListCommand, -2, kNoScript, 0, 0, 0, "scripting",
     "Returns information about all libraries.", "7.0.0",
     "O(N) where N is the number of functions", kNoSubcommands, kAclSlow | kAclScripting},
    {"load", FunctionLoadCommand, -3, kNoScript | kWrite | kDenyOom, 0, 0, 0, "scripting",
     "Creates a library.", "7.0.0",
     "O(1) (considering compilation time is redundant)", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"restore", FunctionRestoreCommand, -3, kNoScript | kWrite | kDenyOom, 0, 0, 0, "scripting",
     "Restores all libraries from a payload.", "7.0.0",
     "O(N) where N is the number of functions on the payload", kNoSubcommands,
     kAclSlow | kAclScripting},
    {"stats", FunctionStatsCommand, 2, kNoScript | kAllowBusy, 0, 0, 0, "scripting",
     "Returns information about a function during execution.", "7.0.0", "O(1)", kNoSubcommands,
     kAclSlow | kAclScripting},
};

constexpr CommandSpec kScriptingCommands[] = {
    {"eval", EvalCommand, -3, kEvalFlags, 0, 0, 0, "scripting",
     "Executes a server-side Lua script.", "2.6.0",
     "Depends on the script that is executed.", kNoSubcommands, kAclSlow | kAclScripting,
     KeysFrom(EvalKeys)},
    {"evalsha", EvalShaCommand, -3, kEvalFlags, 0, 0, 0, "scripting",
     "Executes a server-side Lua script by SHA1 digest.", "2.6.0",
     "Depends on the script that is executed.", kNoSubcommands, kAclSlow | kAclScripting,
     KeysFrom(EvalKeys)},
    {"eval_ro", EvalRoCommand, -3, kEvalRoFlags, 0, 0, 0, "scripting",
     "Executes a read-only server-side Lua script.", "7.0.0",
     "Depends on the script that is executed.", kNoSubcommands, kAclSlow | kAclScripting,
     KeysFrom(EvalRoKeys)},
    {"evalsha_ro", EvalShaRoCommand, -3, kEvalRoFlags, 0, 0, 0, "scripting",
     "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0",
     "Depends on the script that is executed.", kNoSubcommands, kAclSlow | kAclScripting,
     KeysFrom(EvalRoKeys)},
    {"fcall", FcallCommand, -3, kEvalFlags, 0, 0, 0, "scripting", "Invokes a function.", "7.0.0",
     "Depends on the function that is executed.", kNoSubcommands, kAclSlow | kAclScripting,
     KeysFrom(EvalKeys)},
    {"fcall_ro", FcallRoCommand, -3, kEvalRoFlags, 0, 0, 0, "scripting",
     "Invokes a read-only function.", "7.0.0", "Depends on the function that is executed.",
     kNoSubcommands, kAclSlow | kAclScripting, KeysFrom(EvalRoKeys)},
    {"script", nullptr, -2, 0, 0, 0, 0, "scripting", "A container for Lua scripts management commands.",
     "2.6.0", "Depends on subcommand.", kScriptSubcommands, kAclSlow},
    {"function", nullptr, -2, 0, 0, 0, 0, "scripting", "A container for function commands.",
     "7.0.0", "Depends on subcommand.", kFunctionSubcommands, kAclSlow},
};

}  // namespace

std::span<const CommandSpec> ScriptingCommands() { return kScriptingCommands; }

}  // namespace mnemo::cmd
