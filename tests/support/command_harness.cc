// command_harness.cc: the in-process command runner (tests/support).
#include "command_harness.h"

#include <algorithm>

#include "mnemo/base/log.h"
#include "mnemo/db/object.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/cmd/acl.h"

namespace mnemo::test {

CommandHarness::CommandHarness(std::string_view config_lines) {
  SetLogLevel(LogLevel::kWarning);
  server::ServerConfig config;
  // Latency histograms are made on a command's first call (8 KiB each): off here, so that the
  // memory a command leaves behind is only its data's. tests/integration covers them.
  config.latency_tracking = false;
  // The slow log likewise: a command that happens to take 10 ms on a loaded machine would leave
  // an entry (up to 6 KB) behind. tests/cmd/observe_test.cc turns it on where it is tested.
  config.slowlog_log_slower_than = -1;
  Status s = server::LoadConfigText(config_lines, config);
  EXPECT_TRUE(s.ok()) << s.message();
  server_ = std::make_unique<server::Server>(config, "");
  EXPECT_TRUE(server_->acl_status().ok()) << server_->acl_status().message();
  client_.id = 1;
  // As a new connection: the default user, authenticated iff it needs no password.
  const auto& default_user = server_->dispatcher().acl().default_user();
  client_.user = default_user;
  client_.authenticated = default_user->nopass() && default_user->enabled();
}

CommandHarness::~CommandHarness() = default;

std::string CommandHarness::RunRaw(const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  reply_.buffer().clear();
  server_->dispatcher().Execute(client_, views, reply_);
  return reply_.buffer();
}

RespValue CommandHarness::Run(const std::vector<std::string>& argv) {
  const std::string raw = RunRaw(argv);
  RespValue v;
  const int64_t n = ParseResp(raw, &v);
  EXPECT_EQ(n, static_cast<int64_t>(raw.size())) << "not exactly one reply: " << raw;
  return v;
}

RespValue CommandHarness::Run(std::initializer_list<std::string_view> argv) {
  return Run(std::vector<std::string>(argv.begin(), argv.end()));
}

void CommandTest::ExpectPacked(std::string_view key, bool in_slot, int line) {
  SCOPED_TRACE(line);
  db::Object* o = h_.keyspace().db(0).LookupNoTouch(key);
  ASSERT_NE(o, nullptr) << key;
  EXPECT_EQ(o->has_inline_listpack(), in_slot) << key;
  size_t value = sizeof(uint64_t);
  if (in_slot && o->has_inline_listpack()) {
    // The packed form is exactly the one of the listpack it unpacks to, at least a word long.
    const size_t packed = ds::LpPackedBytes(o->packed_listpack());
    const db::ListpackView view(*o);
    ASSERT_TRUE(view.unpacked());
    EXPECT_EQ(ds::LpPackedSize(view.get()), packed) << key;
    EXPECT_TRUE(ds::LpValidate(view.get(), ds::LpBytes(view.get()), true)) << key;
    value = std::max(packed, sizeof(uint64_t));
  }
  EXPECT_EQ(o->BlockSize(), 11 + (o->has_expire() ? 4 : 0) + key.size() + value) << key;
}

}  // namespace mnemo::test
