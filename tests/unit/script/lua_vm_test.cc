// lua_vm_test.cc: the Lua sandbox on its own, with a host that answers redis.call from a table
// (tests/unit/script): conversions both ways, the heap's exact count through mem, the limit,
// the kill hook, and library loading.
#include "mnemo/script/lua_vm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::script {
namespace {

// Answers every command with a fixed reply and records what it was asked.
class FakeHost : public Host {
 public:
  bool Call(std::span<const std::string_view> argv, protocol::ReplyBuilder& reply,
            std::string* error) override {
    calls.emplace_back(argv.begin(), argv.end());
    if (argv[0] == "refuse") {
      *error = "-NOPE refused here";
      return false;
    }
    reply.Raw(next_reply);
    return true;
  }
  bool Interrupt() override {
    ++interrupts;
    return interrupts >= kill_after;
  }
  int AclCheck(std::span<const std::string_view> argv) override { return argv[0] == "ok" ? 1 : 0; }
  void Log(int level, std::string_view message) override {
    logs.push_back(std::to_string(level) + " " + std::string(message));
  }
  void SetReplication(int flags) override { repl = flags; }

  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> logs;
  std::string next_reply = "+OK\r\n";
  int interrupts = 0;
  int kill_after = 1 << 30;
  int repl = 3;
};

class LuaVmTest : public ::testing::Test {
 protected:
  // Runs `body` as an EVAL script and returns the raw RESP reply.
  std::string Run(std::string_view body, std::vector<std::string_view> keys = {},
                  std::vector<std::string_view> args = {}, int resp = 2) {
    Compiled c = vm_.Compile(body, "@user_script");
    if (c.ref == 0) return "compile: " + c.error;
    protocol::ReplyBuilder out;
    out.set_resp(resp);
    vm_.Run(c.ref, keys, args, "name", host_, out, true);
    vm_.Release(c.ref);
    return out.buffer();
  }
  LuaVm vm_{LuaVm::Kind::kEval};
  FakeHost host_;
};

TEST_F(LuaVmTest, LuaToResp) {
  EXPECT_EQ(Run("return 7.9"), ":7\r\n");
  EXPECT_EQ(Run("return 'ab'"), "$2\r\nab\r\n");
  EXPECT_EQ(Run("return {1, 'a', {2}}"), "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n");
  EXPECT_EQ(Run("return {err='E x'}"), "-E x\r\n");
  EXPECT_EQ(Run("return {ok='fine'}"), "+fine\r\n");
  EXPECT_EQ(Run("return true"), ":1\r\n");
  EXPECT_EQ(Run("return false"), "$-1\r\n");
  EXPECT_EQ(Run("return {double=2.5}", {}, {}, 3), ",2.5\r\n");
  EXPECT_EQ(Run("return KEYS[1] .. ARGV[1]", {"k"}, {"v"}), "$2\r\nkv\r\n");
}

TEST_F(LuaVmTest, RespToLua) {
  host_.next_reply = "*3\r\n:5\r\n$-1\r\n+PONG\r\n";
  EXPECT_EQ(Run("local r = redis.call('x') return {type(r[1]), type(r[2]), r[3].ok}"),
            "*3\r\n$6\r\nnumber\r\n$7\r\nboolean\r\n$4\r\nPONG\r\n");
  host_.next_reply = "%1\r\n$1\r\na\r\n#t\r\n";
  EXPECT_EQ(Run("redis.setresp(3) local r = redis.call('x') return tostring(r.map.a)"),
            "$4\r\ntrue\r\n");
  host_.next_reply = "-WRONGTYPE bad\r\n";
  EXPECT_EQ(Run("return redis.pcall('x').err"), "$13\r\nWRONGTYPE bad\r\n");
  EXPECT_EQ(Run("return redis.call('x')"), "-WRONGTYPE bad script: name, on @user_script:1.\r\n");
  EXPECT_EQ(Run("return redis.pcall('refuse')"), "-NOPE refused here\r\n");
  host_.next_reply = "+OK\r\n";
  Run("redis.call('set', 1.5, 2)");
  ASSERT_FALSE(host_.calls.empty());
  EXPECT_EQ(host_.calls.back(), (std::vector<std::string>{"set", "1.5", "2"}));
}

TEST_F(LuaVmTest, HostCallbacks) {
  Run("redis.log(redis.LOG_NOTICE, 'a', 'b')");
  EXPECT_EQ(host_.logs, std::vector<std::string>{"2 a b"});
  Run("redis.set_repl(redis.REPL_NONE)");
  EXPECT_EQ(host_.repl, 0);
  EXPECT_EQ(Run("return {redis.acl_check_cmd('ok'), redis.acl_check_cmd('no')}"),
            "*2\r\n:1\r\n$-1\r\n");  // false is a null bulk in RESP2
}

TEST_F(LuaVmTest, HeapIsCountedExactlyAndBounded) {
  Run("return 1");  // the scratch of redis.call, made once
  vm_.CollectGarbage();
  const size_t used = mem::UsedMemory();
  const size_t heap = vm_.heap_bytes();
  EXPECT_GT(heap, 10000u);
  Run("local t = {} for i = 1, 10000 do t[i] = i end");
  vm_.CollectGarbage();
  EXPECT_EQ(mem::UsedMemory() - used, vm_.heap_bytes() - heap);
  vm_.set_memory_limit(heap + 1024 * 1024);
  const std::string r = Run("local t = {} local i = 0 while true do i = i + 1 t[i] = i end");
  EXPECT_EQ(r.rfind("-ERR Error running script name, not enough memory", 0), 0u) << r;
  EXPECT_LT(vm_.heap_bytes(), heap + 1024 * 1024);
  vm_.set_memory_limit(0);
}

TEST_F(LuaVmTest, KillHookStopsEvenThroughPcall) {
  host_.kill_after = 3;
  EXPECT_EQ(Run("while true do pcall(function() local x = 1 end) end"),
            "-ERR Script killed by user with SCRIPT KILL... script: name, on @user_script:1.\r\n");
  EXPECT_GE(host_.interrupts, 3);
}

TEST(LuaVmFunctions, RegisterFunctionOnlyWhileLoading) {
  LuaVm vm(LuaVm::Kind::kFunctions);
  FakeHost host;
  Compiled c = vm.Compile("\nredis.register_function('f', function(keys, args) return args[1] end)",
                          "@user_function");
  ASSERT_NE(c.ref, 0) << c.error;
  std::vector<LuaVm::Registered> fns;
  std::string error;
  ASSERT_TRUE(vm.LoadLibrary(c.ref, &fns, &error, host)) << error;
  ASSERT_EQ(fns.size(), 1u);
  EXPECT_EQ(fns[0].name, "f");
  protocol::ReplyBuilder out;
  std::vector<std::string_view> args = {"hi"};
  vm.Run(fns[0].ref, {}, args, "f", host, out, false);
  EXPECT_EQ(out.buffer(), "$2\r\nhi\r\n");
}

TEST(Sha1, KnownDigests) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace mnemo::script
