// command_harness.h: runs commands through the in-process dispatcher of a real (not listening)
// server, for tests/cmd (tests/support).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/server/server.h"
#include "resp_value.h"

namespace mnemo::test {

class CommandHarness {
 public:
  // A server on the default configuration but latency-tracking and the slow log off, with
  // `config_lines` (redis.conf syntax) applied.
  explicit CommandHarness(std::string_view config_lines = "");
  ~CommandHarness();

  // Runs one command and returns its parsed reply.
  RespValue Run(std::initializer_list<std::string_view> argv);
  RespValue Run(const std::vector<std::string>& argv);
  // Runs one command and returns the raw RESP bytes of its reply.
  std::string RunRaw(const std::vector<std::string>& argv);

  // Sets the protocol version of the harness's client (HELLO does it too).
  void SetResp(int version) { reply_.set_resp(version); }
  // The ceiling a connection gives its replies (ConnectionLimits::reply_ceiling).
  void SetReplyCeiling(size_t bytes) { reply_.set_ceiling(bytes); }
  const protocol::ReplyBuilder& reply() const { return reply_; }
  server::Server& server() { return *server_; }
  db::Keyspace& keyspace() { return server_->keyspace(); }
  cmd::Client& client() { return client_; }

 private:
  std::unique_ptr<server::Server> server_;
  cmd::Client client_;
  protocol::ReplyBuilder reply_;
};

// A gtest fixture with a fresh harness per test.
class CommandTest : public ::testing::Test {
 protected:
  RespValue Run(std::initializer_list<std::string_view> argv) { return h_.Run(argv); }
  RespValue Run(const std::vector<std::string>& argv) { return h_.Run(argv); }
  std::string RunRaw(const std::vector<std::string>& argv) { return h_.RunRaw(argv); }
  // The reply's display (RespValue::ToString) — the shortest way to assert a reply.
  std::string Str(std::initializer_list<std::string_view> argv) { return h_.Run(argv).ToString(); }
  // Expects `key` of database 0, a hash or a sorted set, to hold its listpack in its slot or
  // not (db/object.h, "Inline listpacks"), in a slot of exactly the layout's bytes: the 11-byte
  // head, a compact expiry's 4, the key, and the listpack or the 8-byte word. `line` is the
  // caller's, for the failure message.
  void ExpectPacked(std::string_view key, bool in_slot, int line);
  CommandHarness h_;
};

}  // namespace mnemo::test
