// repl_protocol_test.cc: what a replica parses from its primary before the command stream:
// lines, PSYNC's answers, RDB headers, the diskless end mark (layer: server).
#include "mnemo/server/repl_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace mnemo::server::repl {
namespace {

const std::string kId = "8f1c2e5a9b0d4c7e6f3a2b1c0d9e8f7a6b5c4d3e";

TEST(ReplProtocol, TakeLine) {
  std::string_view line;
  size_t consumed = 0;
  EXPECT_EQ(TakeLine("+PONG\r\nrest", 100, &line, &consumed), LineStatus::kLine);
  EXPECT_EQ(line, "+PONG");
  EXPECT_EQ(consumed, 7u);
  EXPECT_EQ(TakeLine("\n", 100, &line, &consumed), LineStatus::kLine);  // a keepalive
  EXPECT_EQ(line, "");
  EXPECT_EQ(consumed, 1u);
  EXPECT_EQ(TakeLine("+PON", 100, &line, &consumed), LineStatus::kIncomplete);
  EXPECT_EQ(TakeLine(std::string(200, 'x'), 100, &line, &consumed), LineStatus::kTooLong);
  EXPECT_EQ(TakeLine(std::string(150, 'x') + "\r\n", 100, &line, &consumed),
            LineStatus::kTooLong);
  EXPECT_EQ(TakeLine(std::string(100, 'x') + "\r\n", 100, &line, &consumed), LineStatus::kLine);
}

TEST(ReplProtocol, PsyncReplies) {
  PsyncReply r = ParsePsyncReply("+FULLRESYNC " + kId + " 1234");
  EXPECT_EQ(r.kind, PsyncReply::Kind::kFullResync);
  EXPECT_EQ(r.replid, kId);
  EXPECT_EQ(r.offset, 1234);
  EXPECT_EQ(ParsePsyncReply("+FULLRESYNC " + kId).kind, PsyncReply::Kind::kError);
  EXPECT_EQ(ParsePsyncReply("+FULLRESYNC short 1").kind, PsyncReply::Kind::kError);
  EXPECT_EQ(ParsePsyncReply("+FULLRESYNC " + kId + " -1").kind, PsyncReply::Kind::kError);
  EXPECT_EQ(ParsePsyncReply("+FULLRESYNC " + kId + " 12x").kind, PsyncReply::Kind::kError);
  r = ParsePsyncReply("+CONTINUE");
  EXPECT_EQ(r.kind, PsyncReply::Kind::kContinue);
  EXPECT_EQ(r.replid, "");
  r = ParsePsyncReply("+CONTINUE " + kId);
  EXPECT_EQ(r.kind, PsyncReply::Kind::kContinue);
  EXPECT_EQ(r.replid, kId);
  EXPECT_EQ(ParsePsyncReply("+CONTINUE nonsense").kind, PsyncReply::Kind::kError);
  EXPECT_EQ(ParsePsyncReply("-NOMASTERLINK Can't SYNC while not connected with my master").kind,
            PsyncReply::Kind::kTryLater);
  EXPECT_EQ(ParsePsyncReply("-LOADING Redis is loading the dataset in memory").kind,
            PsyncReply::Kind::kTryLater);
  EXPECT_EQ(ParsePsyncReply("-ERR unknown command 'PSYNC'").kind,
            PsyncReply::Kind::kNotSupported);
  EXPECT_EQ(ParsePsyncReply("+OK").kind, PsyncReply::Kind::kError);
}

TEST(ReplProtocol, BulkHeaders) {
  BulkHeader h;
  ASSERT_TRUE(ParseBulkHeader("$EOF:" + std::string(40, 'a'), &h));
  EXPECT_TRUE(h.eof_marked);
  EXPECT_EQ(h.mark, std::string(40, 'a'));
  ASSERT_TRUE(ParseBulkHeader("$175", &h));
  EXPECT_FALSE(h.eof_marked);
  EXPECT_EQ(h.length, 175);
  EXPECT_FALSE(ParseBulkHeader("$EOF:" + std::string(39, 'a'), &h));
  EXPECT_FALSE(ParseBulkHeader("$-1", &h));
  EXPECT_FALSE(ParseBulkHeader("$", &h));
  EXPECT_FALSE(ParseBulkHeader("+OK", &h));
  EXPECT_FALSE(ParseBulkHeader("$99999999999999999999999", &h));
}

TEST(ReplProtocol, EofMarkAcrossPieces) {
  const std::string mark(40, 'm');
  EofMarkWatcher w(mark);
  w.Feed("REDIS0010");
  EXPECT_FALSE(w.found());
  w.Feed(mark.substr(0, 7));
  EXPECT_FALSE(w.found());
  for (char c : mark.substr(7)) w.Feed(std::string(1, c));
  EXPECT_TRUE(w.found());
  w.Feed("x");
  EXPECT_FALSE(w.found());
  w.Feed(std::string(100, 'y') + mark);
  EXPECT_TRUE(w.found());
}

}  // namespace
}  // namespace mnemo::server::repl
