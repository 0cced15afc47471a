// lua_eval_fuzz.cc: libFuzzer target for EVAL: random Lua chunks and arguments run in the
// sandbox of a real (not listening) server, through the dispatcher (tests/fuzz).
//
// Input: byte 0 chooses numkeys; the rest, split at NUL bytes, is the script body and then its
// arguments. Each input runs as EVAL, then as SCRIPT LOAD + EVALSHA_RO. A watchdog on the
// server's event loop, which a busy script polls (busy-reply-threshold 10 ms), sends SCRIPT
// KILL after 50 ms and aborts a script that wrote after 200 ms, so endless loops end.
// Checked: no crash, no sanitizer finding, and no leak: after FLUSHALL, SCRIPT FLUSH, FUNCTION
// FLUSH and CONFIG RESETSTAT, the Lua heap is back to its first size and used_memory back to
// where it was before the input (within 16 KB: state the server makes once, such as a first
// database table).
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/log.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/server/server.h"

namespace {

using namespace mnemo;

struct Fixture {
  Fixture() {
    SetLogLevel(LogLevel::kWarning);
    server::ServerConfig config;
    config.latency_tracking = false;
    config.slowlog_log_slower_than = -1;
    config.busy_reply_threshold = 10;
    config.lua_memory_limit = 64 << 20;
    server = std::make_unique<server::Server>(config, "");
    client.id = 1;
    killer.id = 2;
    // A first run makes what the server and asio make once (the timer queue, the reactor).
    Run({"EVAL", "return redis.call('SET', 'k', 'v')", "0"});
    Cleanup();
    vm_baseline = server->dispatcher().scripting().MemoryUsage().vm_eval;
  }

  void Run(std::vector<std::string_view> argv) {
    reply.buffer().clear();
    server->io().restart();  // a poll that ran out of work left the context stopped
    asio::steady_timer kill(server->io(), std::chrono::milliseconds(50));
    asio::steady_timer abort(server->io(), std::chrono::milliseconds(200));
    kill.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      protocol::ReplyBuilder out;
      std::vector<std::string_view> k = {"SCRIPT", "KILL"};
      server->dispatcher().Execute(killer, k, out);
    });
    abort.async_wait([this](const asio::error_code& ec) {
      if (!ec) server->dispatcher().scripting().Abort();
    });
    server->dispatcher().Execute(client, argv, reply);
    kill.cancel();
    abort.cancel();
    server->io().restart();
    server->io().poll();  // the cancelled handlers
  }

  void Cleanup() {
    for (std::vector<std::string_view> argv :
         {std::vector<std::string_view>{"FLUSHALL"}, {"SCRIPT", "FLUSH"}, {"FUNCTION", "FLUSH"},
          {"CONFIG", "RESETSTAT"}}) {
      Run(argv);
    }
    client.db = 0;
    reply.buffer().clear();
    reply.buffer().shrink_to_fit();
  }

  std::unique_ptr<server::Server> server;
  cmd::Client client;
  cmd::Client killer;
  protocol::ReplyBuilder reply;
  size_t vm_baseline = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  if (size < 1 || size > 4096) return 0;
  // libFuzzer's own containers come from the counted operator new too, so the check compares
  // used_memory before and after this input only.
  const size_t used_before = mem::UsedMemory();
  std::vector<std::string> pieces(1);
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == 0) {
      pieces.emplace_back();
    } else {
      pieces.back().push_back(static_cast<char>(data[i]));
    }
  }
  const size_t nargs = pieces.size() - 1;
  const std::string numkeys = std::to_string(data[0] % (nargs + 1));
  std::vector<std::string_view> argv = {"EVAL", pieces[0], numkeys};
  for (size_t i = 1; i < pieces.size(); ++i) argv.push_back(pieces[i]);
  f->Run(argv);
  f->Run({"SCRIPT", "LOAD", pieces[0]});
  argv[0] = "EVALSHA_RO";
  const std::string sha = script::Sha1Hex(pieces[0]);
  argv[1] = sha;
  f->Run(argv);
  f->Cleanup();
  if (f->server->dispatcher().scripting().MemoryUsage().vm_eval != f->vm_baseline) std::abort();
  // used_memory comes back (the slack: allocator size classes of state the server makes once,
  // such as a database table's first bucket array).
  if (std::getenv("LUA_FUZZ_DEBUG")) {
    std::fprintf(stderr, "after input: used %zu (before %zu) vm %zu\n", mem::UsedMemory(),
                 used_before, f->server->dispatcher().scripting().MemoryUsage().vm_eval);
  }
  if (mem::UsedMemory() > used_before + 16 * 1024) {
    std::fprintf(stderr, "used_memory %zu, before the input %zu\n", mem::UsedMemory(),
                 used_before);
    std::abort();
  }
  return 0;
}
