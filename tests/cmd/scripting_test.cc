// scripting_test.cc: EVAL, SCRIPT, FCALL and FUNCTION through the in-process dispatcher
// (tests/cmd). Error texts are Redis 7.0.15's, checked side by side with redis-server
// (tests/integration/python/test_scripting.py repeats the comparisons live).
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "command_harness.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

class ScriptingTest : public CommandTest {
 protected:
  // EVAL body with no keys.
  std::string Eval(std::string_view body) { return Str({"EVAL", body, "0"}); }
  // The error suffix Redis adds to errors raised at line `line` of the script `body`.
  static std::string At(std::string_view body, int line = 1) {
    return " script: " + Sha1(body) + ", on @user_script:" + std::to_string(line) + ".";
  }
  static std::string Sha1(std::string_view body) { return script::Sha1Hex(body); }
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
};

TEST_F(ScriptingTest, RepliesConvertAsRedis) {
  EXPECT_EQ(Eval("return 1"), "1");
  EXPECT_EQ(Eval("return 3.99"), "3");  // numbers are truncated to integers
  EXPECT_EQ(Eval("return -3.99"), "-3");
  // Out of int64's range, and NaN, as C's cast gives them on x86-64 (as Redis answers), with no
  // undefined behaviour (the lua_eval fuzz target under UBSan found the cast).
  EXPECT_EQ(Eval("return 333333333333333333333"), "-9223372036854775808");
  EXPECT_EQ(Eval("return -333333333333333333333"), "-9223372036854775808");
  EXPECT_EQ(Eval("return 0/0"), "-9223372036854775808");
  EXPECT_EQ(Eval("return 2^63"), "-9223372036854775808");
  EXPECT_EQ(Eval("return -2^63"), "-9223372036854775808");
  EXPECT_EQ(Eval("return 2^62"), "4611686018427387904");
  EXPECT_EQ(Eval("return -2^62 - 0.5"), "-4611686018427387904");
  EXPECT_EQ(Eval("return 'x'"), "x");
  EXPECT_EQ(Eval("return true"), "1");
  EXPECT_EQ(Eval("return false"), "(nil)");
  EXPECT_EQ(Eval("return nil"), "(nil)");
  EXPECT_EQ(Eval("return {1, 2, 3.7, 'x', true, false, nil, 4}"), "[1, 2, 3, x, 1, (nil)]");
  EXPECT_EQ(Eval("return {ok='fine'}"), "fine");
  EXPECT_EQ(Eval("return {ok='a\\r\\nb'}"), "a  b");
  EXPECT_EQ(Eval("return {err='x'}"), "(error) x");
  EXPECT_EQ(Eval("return {double=1.5}"), "1.5");
  EXPECT_EQ(Eval("return {map={a=1}}"), "[a, 1]");
  EXPECT_EQ(Eval("return {set={b=true}}"), "[b]");
  EXPECT_EQ(Eval("return {big_number='123'}"), "123");
  EXPECT_EQ(Eval("return {verbatim_string={format='txt', string='hi'}}"), "hi");
  // A table that contains itself: Redis stops at the Lua stack limit with an error element.
  const std::string deep = RunRaw({"EVAL", "local t = {} t[1] = t return t", "0"});
  EXPECT_NE(deep.find("-ERR reached lua stack limit"), std::string::npos);
}

TEST_F(ScriptingTest, Resp3RepliesAndSetResp) {
  h_.SetResp(3);
  // Booleans follow the script's protocol (redis.setresp), not the caller's: 1 and null.
  EXPECT_EQ(RunRaw({"EVAL", "return true", "0"}), ":1\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return false", "0"}), "_\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return {double=1.5}", "0"}), ",1.5\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return {map={a=1}}", "0"}), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return {set={b=true}}", "0"}), "~1\r\n$1\r\nb\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return {big_number='12'}", "0"}), "(12\r\n");
  EXPECT_EQ(RunRaw({"EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"}),
            "=6\r\ntxt:hi\r\n");
  // Booleans follow the script's protocol: under setresp(3) they are RESP3 booleans.
  EXPECT_EQ(RunRaw({"EVAL", "redis.setresp(3) return true", "0"}), "#t\r\n");
  h_.SetResp(2);
  EXPECT_EQ(RunRaw({"EVAL", "redis.setresp(3) return false", "0"}), ":0\r\n");
  Run({"HSET", "h", "f", "v"});
  Run({"ZADD", "z", "1.5", "a"});
  EXPECT_EQ(Eval("redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f"), "v");
  EXPECT_EQ(Eval("redis.setresp(3) return type(redis.call('get', 'nokey'))"), "nil");
  EXPECT_EQ(Eval("return type(redis.call('get', 'nokey'))"), "boolean");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('zscore', 'z', 'a').double"), "1");
  EXPECT_EQ(Eval("return redis.call('zscore', 'z', 'a')"), "1.5");
  EXPECT_EQ(Eval("return redis.setresp(4)"),
            "(error) ERR RESP version must be 2 or 3." + At("return redis.setresp(4)"));
}

TEST_F(ScriptingTest, KeysArgvAndCalls) {
  EXPECT_EQ(Str({"EVAL", "return {KEYS[1], KEYS[2], ARGV[1]}", "2", "a", "b", "c"}), "[a, b, c]");
  EXPECT_EQ(Str({"EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Eval("return redis.call('ping')"), "PONG");
  EXPECT_EQ(Eval("return type(redis.call('ping'))"), "table");
  EXPECT_EQ(Eval("return redis.call('incrby', 'n', 2.0)"), "2");  // numbers as %.17g
  EXPECT_EQ(Str({"EVAL", "return 1", "-1"}), "(error) ERR Number of keys can't be negative");
  EXPECT_EQ(Str({"EVAL", "return 1", "3", "a"}),
            "(error) ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Str({"EVAL", "return 1", "x"}), "(error) ERR value is not an integer or out of range");
}

TEST_F(ScriptingTest, ErrorTexts) {
  Run({"SET", "s", "abc"});
  EXPECT_EQ(Str({"EVAL", "return redis.call('incr', KEYS[1])", "1", "s"}),
            "(error) ERR value is not an integer or out of range" +
                At("return redis.call('incr', KEYS[1])"));
  EXPECT_EQ(Str({"EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Eval("error('boom')"), "(error) ERR user_script:1: boom" + At("error('boom')"));
  EXPECT_EQ(Eval("return redis.call('nosuch')"),
            "(error) ERR Unknown Redis command called from script" +
                At("return redis.call('nosuch')"));
  EXPECT_EQ(Eval("return redis.pcall('nosuch')"),
            "(error) ERR Unknown Redis command called from script");
  EXPECT_EQ(Eval("return redis.call('get')"),
            "(error) ERR Wrong number of args calling Redis command from script" +
                At("return redis.call('get')"));
  EXPECT_EQ(Eval("return redis.call()"),
            "(error) ERR Please specify at least one argument for this redis lib call" +
                At("return redis.call()"));
  EXPECT_EQ(Eval("return redis.call('get', {})"),
            "(error) ERR Lua redis lib command arguments must be strings or integers" +
                At("return redis.call('get', {})"));
  EXPECT_EQ(Eval("return redis.call('blpop', 'x', 0)"),
            "(error) ERR This Redis command is not allowed from script" +
                At("return redis.call('blpop', 'x', 0)"));
  EXPECT_EQ(Eval("return redis.call('eval', 'return 1', 0)"),
            "(error) ERR This Redis command is not allowed from script" +
                At("return redis.call('eval', 'return 1', 0)"));
  EXPECT_EQ(Eval("retur 1"),
            "(error) ERR Error compiling script (new function): user_script:1: '=' expected "
            "near '1'");
  EXPECT_EQ(Eval("return redis.error_reply('MY bad')"), "(error) MY bad");
  EXPECT_EQ(Eval("return redis.error_reply('bad')"), "(error) ERR bad");
  EXPECT_EQ(Eval("return redis.error_reply(1, 2)"), "(error) ERR wrong number or type of arguments");
  EXPECT_EQ(Eval("return redis.status_reply('S')"), "S");
  EXPECT_EQ(Eval("return redis.status_reply()"), "(error) ERR wrong number or type of arguments");
  EXPECT_EQ(Str({"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"}),
            "(error) NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(Str({"EVALSHA", "short", "0"}), "(error) NOSCRIPT No matching script. Please use EVAL.");
}

TEST_F(ScriptingTest, RedisLibrary) {
  EXPECT_EQ(Eval("return redis.sha1hex('')"), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Eval("return redis.sha1hex()"),
            "(error) ERR wrong number of arguments" + At("return redis.sha1hex()"));
  EXPECT_EQ(Eval("return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM"), "7.0.15 458767");
  EXPECT_EQ(Eval("return redis.replicate_commands()"), "1");
  EXPECT_EQ(Eval("return redis.breakpoint()"), "(nil)");
  EXPECT_EQ(Eval("return redis.debug('x')"), "(nil)");
  EXPECT_EQ(Eval("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
            "[0, 1, 2, 3]");
  EXPECT_EQ(Eval("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, "
                 "redis.REPL_ALL}"),
            "[0, 1, 2, 2, 3]");
  EXPECT_EQ(Eval("redis.log(redis.LOG_WARNING, 'from a script', 1)"), "(nil)");
  EXPECT_EQ(Eval("redis.log(99, 'x')"), "(error) ERR Invalid debug level." + At("redis.log(99, 'x')"));
  EXPECT_EQ(Eval("redis.log('a', 'x')"),
            "(error) ERR First argument must be a number (log level)." + At("redis.log('a', 'x')"));
  EXPECT_EQ(Eval("redis.log(1)"),
            "(error) ERR redis.log() requires two arguments or more." + At("redis.log(1)"));
  EXPECT_EQ(Eval("redis.set_repl(9)"),
            "(error) ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
            "REPL_NONE." +
                At("redis.set_repl(9)"));
  EXPECT_EQ(Eval("return redis.acl_check_cmd('get', 'x')"), "1");
  EXPECT_EQ(Eval("return cjson.encode({1, 2})"), "[1,2]");
  EXPECT_EQ(Eval("return cjson.decode('{\"a\":5}').a"), "5");
  EXPECT_EQ(Eval("return bit.band(7, 3)"), "3");
  EXPECT_EQ(Eval("return bit.tohex(255)"), "000000ff");
}

TEST_F(ScriptingTest, Sandbox) {
  for (const char* name : {"print", "os", "io", "require", "dofile", "loadfile", "debug",
                           "package", "getfenv", "setfenv", "newproxy", "module", "x"}) {
    const std::string body = std::string("return type(") + name + ")";
    EXPECT_EQ(Eval(body), "(error) ERR user_script:1: Script attempted to access nonexistent "
                          "global variable '" +
                              std::string(name) + "'" + At(body))
        << name;
  }
  for (const char* name : {"loadstring", "pcall", "xpcall", "unpack", "gcinfo", "rawset"}) {
    EXPECT_EQ(Eval(std::string("return type(") + name + ")"), "function") << name;
  }
  EXPECT_EQ(Eval("x = 1"),
            "(error) ERR user_script:1: Attempt to modify a readonly table" + At("x = 1"));
  EXPECT_EQ(Eval("redis.call = 1"),
            "(error) ERR user_script:1: Attempt to modify a readonly table" + At("redis.call = 1"));
  EXPECT_EQ(Eval("string.x = 1"),
            "(error) ERR user_script:1: Attempt to modify a readonly table" + At("string.x = 1"));
  EXPECT_EQ(Eval("setmetatable(_G, nil)"),
            "(error) ERR Attempt to modify a readonly table" + At("setmetatable(_G, nil)"));
  EXPECT_EQ(Eval("rawset(_G, 'y', 1)"),
            "(error) ERR Attempt to modify a readonly table" + At("rawset(_G, 'y', 1)"));
  EXPECT_EQ(Eval("table.insert(string, 1)"),
            "(error) ERR Attempt to modify a readonly table" + At("table.insert(string, 1)"));
  // Locals and tables of its own are the script's.
  EXPECT_EQ(Eval("local t = {} t.x = 1 return t.x"), "1");
  EXPECT_EQ(Str({"EVAL", "KEYS[1] = 'z' return KEYS[1]", "1", "a"}), "z");
  // Precompiled bytecode is refused (loadstring and load).
  EXPECT_EQ(Eval("return loadstring(string.dump(function() return 1 end))"), "(nil)");
  EXPECT_EQ(Eval("local f = loadstring('return 7') return f()"), "7");
  EXPECT_EQ(Eval("local s = string.dump(function() return 1 end) local done = false "
                 "return load(function() if done then return nil end done = true return s end)"),
            "(nil)");
}

TEST_F(ScriptingTest, IterationSeesGlobalsAndLibrariesButCannotWriteThem) {
  // Redis's read-only tables are the tables themselves: pairs, next, ipairs and rawget see
  // their contents (here, through the proxies).
  EXPECT_EQ(Eval("local n = 0 for k in pairs(redis) do n = n + 1 end return n"), "23");
  EXPECT_EQ(Eval("local n = 0 for k in pairs(string) do n = n + 1 end return n"), "15");
  EXPECT_EQ(Eval("return rawget(string, 'len') == string.len"), "1");
  EXPECT_EQ(Eval("return type(next(math))"), "string");
  EXPECT_EQ(Eval("local seen = {} for k, v in pairs(_G) do seen[k] = type(v) end "
                 "return {seen.redis, seen.string, seen.pairs, seen._G}"),
            "[table, table, function, table]");
  EXPECT_EQ(Eval("return type(getmetatable(_G))"), "table");
  // Ordinary tables iterate as before, ipairs too.
  EXPECT_EQ(Str({"EVAL",
                 "local s = '' for i, v in ipairs(KEYS) do s = s .. v end "
                 "for k, v in pairs({x = 1}) do s = s .. k end return s",
                 "2", "a", "b"}),
            "abx");
  // What pairs hands back is the proxy: writes through it still fail, and so do writes to
  // the globals' metatable.
  const std::string write = "local f, t = pairs(_G) t.x = 1";
  EXPECT_EQ(Eval(write),
            "(error) ERR user_script:1: Attempt to modify a readonly table" + At(write));
  const std::string mt = "getmetatable(_G).__index = nil";
  EXPECT_EQ(Eval(mt), "(error) ERR user_script:1: Attempt to modify a readonly table" + At(mt));
  EXPECT_EQ(Eval("return x"),
            "(error) ERR user_script:1: Script attempted to access nonexistent "
            "global variable 'x'" +
                At("return x"));
}

TEST_F(ScriptingTest, MathRandomIsRedisLrand48) {
  // Redis 7.0 seeds its generator once: the same sequence from randomseed(0) on.
  EXPECT_EQ(
      Eval("math.randomseed(0) return {math.random(100), math.random(100), math.random(1, 6)}"),
      Eval("math.randomseed(0) return {math.random(100), math.random(100), math.random(1, 6)}"));
  EXPECT_EQ(Eval("math.randomseed(0) return tostring(math.random())"), "0.17082803611217");
  EXPECT_EQ(Eval("return math.random(0)"),
            "(error) ERR user_script:1: bad argument #1 to 'random' (interval is empty)" +
                At("return math.random(0)"));
}

TEST_F(ScriptingTest, ScriptCache) {
  const std::string sha = Sha1("return 'cached'");
  EXPECT_EQ(Str({"SCRIPT", "LOAD", "return 'cached'"}), sha);
  EXPECT_EQ(Str({"EVALSHA", sha, "0"}), "cached");
  EXPECT_EQ(Str({"EVALSHA", Upper(sha), "0"}), "cached");
  EXPECT_EQ(Str({"SCRIPT", "EXISTS", sha, "ffff"}), "[1, 0]");
  EXPECT_EQ(Str({"SCRIPT", "FLUSH", "ASYNC"}), "OK");
  EXPECT_EQ(Str({"SCRIPT", "EXISTS", sha}), "[0]");
  EXPECT_EQ(Str({"SCRIPT", "FLUSH", "bad"}), "(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  EXPECT_EQ(Str({"SCRIPT", "KILL"}), "(error) NOTBUSY No scripts in execution right now.");
  EXPECT_EQ(Str({"SCRIPT", "LOAD", "retur"}).rfind("(error) ERR Error compiling script", 0), 0u);
  EXPECT_EQ(Run({"SCRIPT", "HELP"}).size(), 17u);
}

TEST_F(ScriptingTest, EvalScriptsAreEvictedPastTheLimitLoadedOnesAreNot) {
  const std::string loaded = Str({"SCRIPT", "LOAD", "return 'kept'"});
  const std::string first_body = "return 0";
  Eval(first_body);
  for (size_t i = 1; i <= cmd::Scripting::kMaxEvalScripts; ++i) {
    Eval("return " + std::to_string(i));
  }
  EXPECT_EQ(Str({"SCRIPT", "EXISTS", Sha1(first_body)}), "[0]");  // the oldest EVAL went
  EXPECT_EQ(Str({"SCRIPT", "EXISTS", Sha1("return 1"), loaded}), "[1, 1]");
  EXPECT_EQ(h_.server().dispatcher().scripting().MemoryUsage().cached_scripts,
            cmd::Scripting::kMaxEvalScripts + 1);
  EXPECT_EQ(h_.server().dispatcher().scripting().evicted_scripts(), 1u);
}

TEST_F(ScriptingTest, ShebangFlags) {
  EXPECT_EQ(Eval("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')"),
            "(error) ERR Write commands are not allowed from read-only scripts." +
                At("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", 2));
  EXPECT_EQ(Str({"EVAL_RO", "return redis.call('set', 'k', 'v')", "0"}),
            "(error) ERR Write commands are not allowed from read-only scripts." +
                At("return redis.call('set', 'k', 'v')"));
  EXPECT_EQ(Str({"EVAL_RO", "#!lua\nreturn 1", "0"}),
            "(error) ERR Can not execute a script with write flag using *_ro command.");
  EXPECT_EQ(Str({"EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"}),
            "(nil)");
  EXPECT_EQ(Eval("#!lua flags=bad\nreturn 1"), "(error) ERR Unexpected flag in script shebang: bad");
  EXPECT_EQ(Eval("#!lux\nreturn 1"), "(error) ERR Unexpected engine in script shebang: #!lux");
  EXPECT_EQ(Eval("#!lua foo=bar\nreturn 1"), "(error) ERR Unknown lua shebang option: foo=bar");
  EXPECT_EQ(Eval("#!lua"), "(error) ERR Invalid script shebang");
  EXPECT_EQ(Eval("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n"
                 "return 1"),
            "1");
}

TEST_F(ScriptingTest, OomRules) {
  // Over maxmemory with noeviction: nothing can be evicted.
  Run({"SET", "big", std::string(200000, 'x')});
  ASSERT_EQ(Str({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  // A script without shebang runs; its first denyoom command is refused.
  EXPECT_EQ(Eval("return redis.call('get', 'big') ~= false"), "1");
  EXPECT_EQ(Eval("return redis.call('set', 'k', 'v')"),
            "(error) OOM command not allowed when used memory > 'maxmemory'." +
                At("return redis.call('set', 'k', 'v')"));
  EXPECT_EQ(Eval("return redis.call('del', 'nokey')"), "0");  // del is not denyoom
  // With a shebang: refused at start unless allow-oom.
  EXPECT_EQ(Eval("#!lua\nreturn 1"),
            "(error) OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(Eval("#!lua flags=no-writes\nreturn 1"),
            "(error) OOM allow-oom flag is not set on the script, can not run it when used memory "
            "> 'maxmemory'");
  EXPECT_EQ(Eval("#!lua flags=allow-oom\nreturn redis.call('set', 'k', 'v')"), "OK");
  ASSERT_EQ(Str({"CONFIG", "SET", "maxmemory", "0"}), "OK");
}

TEST_F(ScriptingTest, ScriptsWatchAndMulti) {
  // A script's write breaks another client's WATCH (the seam announces it); EVAL in MULTI runs
  // at EXEC.
  EXPECT_EQ(Str({"WATCH", "w"}), "OK");
  EXPECT_EQ(Eval("return redis.call('set', 'w', '1')"), "OK");
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"EVAL", "return redis.call('incr', 'w')", "0"}), "QUEUED");
  EXPECT_EQ(Str({"EXEC"}), "(nil)");  // the watched key was written by the script
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"EVAL", "return redis.call('incr', 'w')", "0"}), "QUEUED");
  EXPECT_EQ(Str({"EVAL", "return redis.call('incr', 'w')", "0"}), "QUEUED");
  EXPECT_EQ(Str({"EXEC"}), "[2, 3]");
  // SELECT inside a script does not change the caller's database (Redis 7).
  EXPECT_EQ(Eval("redis.call('select', '1') return redis.call('set', 'in1', 'x')"), "OK");
  EXPECT_EQ(Str({"EXISTS", "in1"}), "0");
  EXPECT_EQ(Str({"SELECT", "1"}), "OK");
  EXPECT_EQ(Str({"GET", "in1"}), "x");
}

TEST_F(ScriptingTest, NotificationsAndDirty) {
  const uint64_t dirty = h_.keyspace().changes().dirty();
  EXPECT_EQ(Eval("redis.call('set', 'a', '1') redis.call('set', 'b', '2') return 1"), "1");
  EXPECT_EQ(h_.keyspace().changes().dirty(), dirty + 2);
}

TEST_F(ScriptingTest, Functions) {
  const std::string lib =
      "#!lua name=mylib\n"
      "redis.register_function('echo', function(keys, args) return args[1] end)\n"
      "redis.register_function{function_name='getk', callback=function(keys, args) "
      "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read'}\n";
  EXPECT_EQ(Str({"FUNCTION", "LOAD", lib}), "mylib");
  EXPECT_EQ(Str({"FCALL", "echo", "0", "hello"}), "hello");
  Run({"SET", "k", "v"});
  EXPECT_EQ(Str({"FCALL_RO", "getk", "1", "k"}), "v");
  EXPECT_EQ(Str({"FCALL_RO", "echo", "0", "x"}),
            "(error) ERR Can not execute a script with write flag using *_ro command.");
  EXPECT_EQ(Str({"FCALL", "nosuch", "0"}), "(error) ERR Function not found");
  EXPECT_EQ(Str({"FCALL", "echo", "x"}), "(error) ERR Bad number of keys provided");
  EXPECT_EQ(Str({"FUNCTION", "LOAD", lib}), "(error) ERR Library 'mylib' already exists");
  EXPECT_EQ(Str({"FUNCTION", "LOAD", "REPLACE", lib}), "mylib");
  EXPECT_EQ(Str({"FUNCTION", "LIST"}),
            "[[library_name, mylib, engine, LUA, functions, [[name, echo, description, (nil), "
            "flags, []], [name, getk, description, read, flags, [no-writes]]]]]");
  EXPECT_EQ(Run({"FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "my*"})[0][7].str, lib);
  EXPECT_EQ(Str({"FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"}), "[]");
  EXPECT_EQ(Str({"FUNCTION", "LIST", "LIBRARYNAME"}),
            "(error) ERR library name argument was not given");
  EXPECT_EQ(Str({"FUNCTION", "LIST", "foo"}), "(error) ERR Unknown argument foo");
  EXPECT_EQ(Str({"FUNCTION", "STATS"}),
            "[running_script, (nil), engines, [LUA, [libraries_count, 1, functions_count, 2]]]");
  EXPECT_EQ(Str({"FUNCTION", "KILL"}), "(error) NOTBUSY No scripts in execution right now.");
  EXPECT_EQ(Str({"FUNCTION", "DELETE", "nosuch"}), "(error) ERR Library not found");
  EXPECT_EQ(Str({"FUNCTION", "DELETE", "mylib"}), "OK");
  EXPECT_EQ(Str({"FCALL", "echo", "0"}), "(error) ERR Function not found");
  EXPECT_EQ(Str({"FUNCTION", "FLUSH", "foo"}),
            "(error) ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
}

TEST_F(ScriptingTest, FunctionLoadErrors) {
  auto load = [this](std::string_view code) { return Str({"FUNCTION", "LOAD", code}); };
  EXPECT_EQ(load("return 1"), "(error) ERR Missing library metadata");
  EXPECT_EQ(load("#!lua"), "(error) ERR Invalid library metadata");
  EXPECT_EQ(load("#!lua\n"), "(error) ERR Library name was not given");
  EXPECT_EQ(load("#!lua name=a-b\n"),
            "(error) ERR Library names can only contain letters, numbers, or underscores(_) and "
            "must be at least one character long");
  EXPECT_EQ(load("#!foo name=x\n"), "(error) ERR Engine 'foo' not found");
  EXPECT_EQ(load("#!lua name=x foo=1\n"), "(error) ERR Invalid metadata value given: foo=1");
  EXPECT_EQ(load("#!lua name=x\nreturn 1"), "(error) ERR No functions registered");
  EXPECT_EQ(load("#!lua name=x\nlocal x = ("),
            "(error) ERR Error compiling function: user_function:2: unexpected symbol near "
            "'<eof>'");
  // While loading, only the redis table exists (Redis 7.0).
  EXPECT_EQ(load("#!lua name=x\nerror('boom')"),
            "(error) ERR Error registering functions: ERR user_function:2: Script attempted to "
            "access nonexistent global variable 'error'");
  EXPECT_EQ(load("#!lua name=x\nredis.call('ping')"),
            "(error) ERR Error registering functions: ERR user_function:2: Script attempted to "
            "access nonexistent global variable 'call'");
  EXPECT_EQ(load("#!lua name=x\nredis.register_function('a', 1)"),
            "(error) ERR Error registering functions: ERR second argument to "
            "redis.register_function must be a function");
  EXPECT_EQ(load("#!lua name=x\nredis.register_function{function_name='a', callback=function() "
                 "end, flags={'bad'}}"),
            "(error) ERR Error registering functions: ERR unknown flag given");
  EXPECT_EQ(load("#!lua name=x\nredis.register_function{function_name='a'}"),
            "(error) ERR Error registering functions: ERR redis.register_function must get a "
            "callback argument");
  EXPECT_EQ(load("#!lua name=x\nredis.register_function{foo='a'}"),
            "(error) ERR Error registering functions: ERR unknown argument given to "
            "redis.register_function");
  EXPECT_EQ(load("#!lua name=x\nredis.register_function('f', function() end)\n"
                 "redis.register_function('f', function() end)"),
            "(error) ERR Error registering functions: ERR Function already exists in the "
            "library");
  // A library whose load never ends is stopped (Redis's 500 ms).
  EXPECT_EQ(load("#!lua name=x\nwhile true do end"),
            "(error) ERR Error registering functions: ERR FUNCTION LOAD timeout");
  EXPECT_EQ(Str({"FUNCTION", "LOAD", "#!lua name=one\nredis.register_function('f', function() "
                                     "end)"}),
            "one");
  EXPECT_EQ(load("#!lua name=two\nredis.register_function('f', function() end)"),
            "(error) ERR Function f already exists");
  // Functions see the normal globals at run time.
  EXPECT_EQ(load("#!lua name=three\nredis.register_function('g', function() return "
                 "string.rep('a', 3) .. type(redis.register_function) end)"),
            "three");
  EXPECT_EQ(Str({"FCALL", "g", "0"}), "aaanil");
}

TEST_F(ScriptingTest, FunctionDumpAndRestore) {
  EXPECT_EQ(Str({"FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('fa', function() "
                                     "return 'a' end)"}),
            "a");
  const RespValue dump = Run({"FUNCTION", "DUMP"});
  ASSERT_EQ(dump.type, RespValue::Type::kBulk);
  EXPECT_EQ(static_cast<uint8_t>(dump.str[0]), 245u);  // RDB_OPCODE_FUNCTION2
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", dump.str}), "(error) ERR Library a already exists");
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", dump.str, "REPLACE"}), "OK");
  EXPECT_EQ(Str({"FUNCTION", "FLUSH"}), "OK");
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", dump.str}), "OK");
  EXPECT_EQ(Str({"FCALL", "fa", "0"}), "a");
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", dump.str, "FLUSH"}), "OK");
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", dump.str, "BAD"}),
            "(error) ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
            "REPLACE.");
  std::string broken = dump.str;
  broken[3] ^= 1;
  EXPECT_EQ(Str({"FUNCTION", "RESTORE", broken}),
            "(error) ERR DUMP payload version or checksum are wrong");
}

TEST_F(ScriptingTest, LuaHeapCountsInUsedMemoryAndIsBounded) {
  ASSERT_EQ(Str({"CONFIG", "SET", "lua-memory-limit", "8mb"}), "OK");
  const size_t vm_before = h_.server().dispatcher().scripting().MemoryUsage().vm_eval;
  const size_t used_before = mem::UsedMemory();
  const std::string body =
      "local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 100) .. i end";
  const std::string r = Eval(body);
  EXPECT_EQ(r.rfind("(error) ERR Error running script " + Sha1(body) + ", not enough memory", 0),
            0u)
      << r;
  EXPECT_EQ(Str({"PING"}), "PONG");
  // The garbage is collected; SCRIPT FLUSH returns the interpreter to its first size.
  EXPECT_LT(h_.server().dispatcher().scripting().MemoryUsage().vm_eval, size_t{1} << 20);
  EXPECT_EQ(Str({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(h_.server().dispatcher().scripting().MemoryUsage().vm_eval, vm_before);
  EXPECT_LT(mem::UsedMemory(), used_before + 64 * 1024);
  const std::string info = Str({"INFO", "memory"});
  EXPECT_NE(info.find("used_memory_vm_eval:" + std::to_string(vm_before)), std::string::npos);
}

}  // namespace
}  // namespace mnemo::test
