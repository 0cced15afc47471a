// parser_test.cc: the incremental RESP request parser, split at every byte, pipelined, inline,
// malformed (Redis's exact error replies) and fuzzed (layer: protocol).
#include "mnemo/protocol/parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mnemo/protocol/errors.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::protocol {
namespace {

using Args = std::vector<std::string>;

Args Copy(const std::vector<std::string_view>& views) { return Args(views.begin(), views.end()); }

// A request and the arguments it must parse into.
struct Request {
  std::string bytes;
  Args args;
};

std::string Multibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::vector<Request> SampleRequests() {
  const std::string big(40000, 'v');  // above kBigArgSize: the big-argument path
  return {
      {Multibulk({"PING"}), {"PING"}},
      {Multibulk({"SET", "key", "value"}), {"SET", "key", "value"}},
      {Multibulk({"SET", "k", ""}), {"SET", "k", ""}},
      {Multibulk({"SET", "k", "a\r\nb\r\n"}), {"SET", "k", "a\r\nb\r\n"}},
      {Multibulk({"SET", "k", std::string("\0\r\0\n", 4)}),
       {"SET", "k", std::string("\0\r\0\n", 4)}},
      {Multibulk({"SET", "k", big}), {"SET", "k", big}},
      {"*0\r\n", {}},
      {"*-1\r\n", {}},
      {"PING\r\n", {"PING"}},
      {"PING\n", {"PING"}},
      {"set \"a b\" 'c d' \"\\x41\\n\"\r\n", {"set", "a b", "c d", "A\n"}},
      {"  get   k  \r\n", {"get", "k"}},
      {"\r\n", {}},
      {"\n", {}},
  };
}

TEST(ParserTest, EveryRequestAtEverySplit) {
  for (const Request& r : SampleRequests()) {
    // Every step, a byte at a time: early steps are mostly incomplete counts and headers.
    const size_t stride = r.bytes.size() > 1000 ? 997 : 1;
    for (size_t cut = 0; cut < r.bytes.size(); cut += stride) {
      RequestParser p;
      size_t consumed = 99;
      ASSERT_EQ(p.Parse(std::string_view(r.bytes).substr(0, cut), &consumed),
                ParseStatus::kIncomplete)
          << "cut " << cut << " of " << testing::PrintToString(r.bytes.substr(0, 60));
      EXPECT_EQ(consumed, 0u);
      ASSERT_EQ(p.Parse(r.bytes, &consumed), ParseStatus::kOk) << cut;
      EXPECT_EQ(consumed, r.bytes.size());
      EXPECT_EQ(Copy(p.args()), r.args);
    }
  }
}

TEST(ParserTest, OneByteMoreEachCall) {
  // The same parser fed a growing prefix resumes where it stopped.
  for (const Request& r : SampleRequests()) {
    if (r.bytes.size() > 1000) continue;
    RequestParser p;
    size_t consumed = 0;
    for (size_t len = 0; len < r.bytes.size(); ++len) {
      ASSERT_EQ(p.Parse(std::string_view(r.bytes).substr(0, len), &consumed),
                ParseStatus::kIncomplete)
          << len;
    }
    ASSERT_EQ(p.Parse(r.bytes, &consumed), ParseStatus::kOk);
    EXPECT_EQ(consumed, r.bytes.size());
    EXPECT_EQ(Copy(p.args()), r.args);
  }
}

TEST(ParserTest, TheBufferMayMoveBetweenCalls) {
  // Offsets are relative to data[0]: a copy of the bytes at another address works.
  const std::string req = Multibulk({"SET", "key", "value"});
  RequestParser p;
  size_t consumed = 0;
  std::string first = req.substr(0, req.size() - 3);
  ASSERT_EQ(p.Parse(first, &consumed), ParseStatus::kIncomplete);
  first.assign(40, '#');  // scribble over the old copy
  const std::string moved = req;
  ASSERT_EQ(p.Parse(moved, &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), (Args{"SET", "key", "value"}));
}

TEST(ParserTest, PipelinedRequests) {
  std::string stream;
  std::vector<Args> want;
  for (const Request& r : SampleRequests()) {
    stream += r.bytes;
    want.push_back(r.args);
  }
  RequestParser p;
  std::vector<Args> got;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t consumed = 0;
    ASSERT_EQ(p.Parse(std::string_view(stream).substr(pos), &consumed), ParseStatus::kOk) << pos;
    ASSERT_GT(consumed, 0u);
    got.push_back(Copy(p.args()));
    pos += consumed;
  }
  EXPECT_EQ(got, want);
  size_t consumed = 7;
  EXPECT_EQ(p.Parse("", &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(consumed, 0u);
}

TEST(ParserTest, InlineCommands) {
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse("SET a b\r\nGET a\r\n", &consumed), ParseStatus::kOk);
  EXPECT_EQ(consumed, 9u);
  EXPECT_EQ(Copy(p.args()), (Args{"SET", "a", "b"}));
  // Only the last \r before the \n belongs to the line ending.
  ASSERT_EQ(p.Parse("a\r\r\n", &consumed), ParseStatus::kOk);
  EXPECT_EQ(consumed, 4u);
  EXPECT_EQ(Copy(p.args()), Args{"a"});
  ASSERT_EQ(p.Parse("   \t \r\n", &consumed), ParseStatus::kOk);
  EXPECT_TRUE(p.args().empty());
  ASSERT_EQ(p.Parse("\"\"\r\n", &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), Args{""});
  ASSERT_EQ(p.Parse("no newline yet", &consumed), ParseStatus::kIncomplete);
  ASSERT_EQ(p.Parse("ends with cr\r", &consumed), ParseStatus::kIncomplete);
}

TEST(ParserTest, EmptyMultibulks) {
  RequestParser p;
  size_t consumed = 0;
  for (const char* req : {"*0\r\n", "*-1\r\n", "*-5\r\n"}) {
    ASSERT_EQ(p.Parse(req, &consumed), ParseStatus::kOk) << req;
    EXPECT_EQ(consumed, std::string_view(req).size());
    EXPECT_TRUE(p.args().empty());
  }
  // Two empty requests then a real one, as Redis handles "*0\r\n*-1\r\nPING\r\n".
  const std::string stream = "*0\r\n*-1\r\nPING\r\n";
  size_t pos = 0;
  ASSERT_EQ(p.Parse(stream, &consumed), ParseStatus::kOk);
  pos += consumed;
  ASSERT_EQ(p.Parse(std::string_view(stream).substr(pos), &consumed), ParseStatus::kOk);
  pos += consumed;
  ASSERT_EQ(p.Parse(std::string_view(stream).substr(pos), &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), Args{"PING"});
}

TEST(ParserTest, BytesAfterAPayloadAreSkippedNotChecked) {
  // Redis skips the two bytes after a bulk without looking at them ("PINGxx" is PING).
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse("*1\r\n$4\r\nPINGxx", &consumed), ParseStatus::kOk);
  EXPECT_EQ(consumed, 14u);
  EXPECT_EQ(Copy(p.args()), Args{"PING"});
}

// ---- Malformed requests ----------------------------------------------------------------------

// The reply a client sees: the parser's error through the reply builder.
std::string ErrorReply(const std::string& data, bool authenticated = true,
                       int64_t max_bulk_len = 512LL * 1024 * 1024) {
  RequestParser p;
  p.set_authenticated(authenticated);
  p.set_max_bulk_len(max_bulk_len);
  size_t consumed = 0;
  if (p.Parse(data, &consumed) != ParseStatus::kError) return "(not an error)";
  ReplyBuilder rb;
  rb.Error(p.error());
  return rb.buffer();
}

TEST(ParserTest, MalformedRequestsGetRedisErrorReplies) {
  // Each reply is what redis-server 7.0.15 sent for the same bytes.
  struct Case {
    std::string data;
    std::string reply;
  };
  const std::string kInvalidMultibulk = "-ERR Protocol error: invalid multibulk length\r\n";
  const std::string kInvalidBulk = "-ERR Protocol error: invalid bulk length\r\n";
  const std::vector<Case> cases = {
      {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
      {"*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},
      {"*2\r\n$1\r\na\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
      {"*abc\r\n", kInvalidMultibulk},
      {"*2147483648\r\n", kInvalidMultibulk},
      {"*\r\n", kInvalidMultibulk},
      {"*+1\r\n", kInvalidMultibulk},
      {"*01\r\n", kInvalidMultibulk},
      {"* 1\r\n", kInvalidMultibulk},
      {"*-0\r\n", kInvalidMultibulk},
      {"*1\r\n$-5\r\n", kInvalidBulk},
      {"*1\r\n$-1\r\n", kInvalidBulk},
      {"*1\r\n$\r\n", kInvalidBulk},
      {"*1\r\n$+1\r\n", kInvalidBulk},
      {"*1\r\n$01\r\n", kInvalidBulk},
      {"*1\r\n$abc\r\n", kInvalidBulk},
      {"*1\r\n$536870913\r\n", kInvalidBulk},
      {"set \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"set 'a'b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"set \"a\"b\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {std::string(64 * 1024 + 1, 'x'), "-ERR Protocol error: too big inline request\r\n"},
      {"*" + std::string(64 * 1024, '1'), "-ERR Protocol error: too big mbulk count string\r\n"},
      {"*1\r\n$" + std::string(64 * 1024, '1'),
       "-ERR Protocol error: too big bulk count string\r\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorReply(c.data), c.reply) << testing::PrintToString(c.data.substr(0, 40));
  }
}

TEST(ParserTest, ErrorTextsComeFromErrorsHeader) {
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse("*1\r\n\r\n", &consumed), ParseStatus::kError);
  EXPECT_EQ(p.error(), ProtoExpectedDollar('\r'));  // raw; the reply builder blanks the CR
  ASSERT_EQ(p.Parse("*x\r\n", &consumed), ParseStatus::kError);
  EXPECT_EQ(p.error(), kErrProtoInvalidMultibulkLength);
  EXPECT_EQ(consumed, 0u);
}

TEST(ParserTest, LimitsAreInclusive) {
  RequestParser p;
  size_t consumed = 0;
  // The largest count is INT_MAX; the parser then waits for the arguments.
  EXPECT_EQ(p.Parse("*2147483647\r\n", &consumed), ParseStatus::kIncomplete);
  // 64 KB of inline text or count digits without an end are still waited for; one more is not.
  RequestParser p2;
  EXPECT_EQ(p2.Parse(std::string(64 * 1024, 'x'), &consumed), ParseStatus::kIncomplete);
  RequestParser p3;
  EXPECT_EQ(p3.Parse("*" + std::string(64 * 1024 - 1, '1'), &consumed), ParseStatus::kIncomplete);
  // proto-max-bulk-len: a bulk of exactly the limit is accepted.
  EXPECT_EQ(ErrorReply("*1\r\n$101\r\n", true, 100),
            "-ERR Protocol error: invalid bulk length\r\n");
  RequestParser p4;
  p4.set_max_bulk_len(100);
  EXPECT_EQ(p4.Parse("*1\r\n$100\r\n", &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(p4.Parse("*1\r\n$100\r\n" + std::string(100, 'z') + "\r\n", &consumed),
            ParseStatus::kOk);
}

TEST(ParserTest, UnauthenticatedLimits) {
  EXPECT_EQ(ErrorReply("*11\r\n", false),
            "-ERR Protocol error: unauthenticated multibulk length\r\n");
  EXPECT_EQ(ErrorReply("*1\r\n$16385\r\n", false),
            "-ERR Protocol error: unauthenticated bulk length\r\n");
  // The generic checks come first, as in Redis.
  EXPECT_EQ(ErrorReply("*1\r\n$-1\r\n", false), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(ErrorReply("*2147483648\r\n", false),
            "-ERR Protocol error: invalid multibulk length\r\n");
  RequestParser p;
  p.set_authenticated(false);
  size_t consumed = 0;
  EXPECT_EQ(p.Parse("*10\r\n", &consumed), ParseStatus::kIncomplete);
  RequestParser p2;
  p2.set_authenticated(false);
  EXPECT_EQ(p2.Parse("*1\r\n$16384\r\n", &consumed), ParseStatus::kIncomplete);
  // Authenticated, the same requests are fine.
  EXPECT_EQ(ErrorReply("*11\r\n"), "(not an error)");
  EXPECT_EQ(ErrorReply("*1\r\n$16385\r\n"), "(not an error)");
}

// ---- bytes_wanted --------------------------------------------------------------------------

TEST(ParserTest, BytesWantedForBigBulks) {
  const std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n";
  const std::string req = head + std::string(100000, 'v') + "\r\n";
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse(std::string_view(req).substr(0, head.size() + 10), &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(p.bytes_wanted(), req.size());  // counted from data[0], trailing CRLF included
  ASSERT_EQ(p.Parse(req, &consumed), ParseStatus::kOk);
  EXPECT_EQ(p.bytes_wanted(), 0u);
  EXPECT_EQ(p.args()[2].size(), 100000u);

  // Small bulks never ask for a buffer of their own.
  const std::string small = Multibulk({"SET", "k", std::string(kBigArgSize - 1, 's')});
  ASSERT_EQ(p.Parse(std::string_view(small).substr(0, small.size() - 100), &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(p.bytes_wanted(), 0u);
  ASSERT_EQ(p.Parse(small, &consumed), ParseStatus::kOk);

  // Exactly kBigArgSize counts as big.
  const std::string edge = Multibulk({std::string(kBigArgSize, 'e')});
  ASSERT_EQ(p.Parse(std::string_view(edge).substr(0, 20), &consumed), ParseStatus::kIncomplete);
  EXPECT_EQ(p.bytes_wanted(), edge.size());
  ASSERT_EQ(p.Parse(edge, &consumed), ParseStatus::kOk);
}

// The bytes of the parser's heap blocks (its argument tables among them).
size_t HeldBytes(const RequestParser& p) {
  size_t total = 0;
  p.ForEachAllocation([&](size_t n) { total += n; });
  return total;
}

TEST(ParserTest, ReleaseBigTablesFreesOnlyBigTablesAndOnlyBetweenRequests) {
  Args many = {"EXISTS"};
  for (int i = 0; i < 5000; ++i) many.push_back("k" + std::to_string(i));
  const std::string big = Multibulk(many);
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse(big, &consumed), ParseStatus::kOk);
  ASSERT_EQ(p.args().size(), 5001u);
  EXPECT_GT(HeldBytes(p), 5001u * 2 * 16);  // two tables of 16-byte entries
  // Mid-request (the next big request half read): kept, the parse goes on where it was.
  ASSERT_EQ(p.Parse(std::string_view(big).substr(0, big.size() / 2), &consumed),
            ParseStatus::kIncomplete);
  const size_t mid = HeldBytes(p);
  p.ReleaseBigTables();
  EXPECT_EQ(HeldBytes(p), mid);
  ASSERT_EQ(p.Parse(big, &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), many);
  // Between requests: given back, and the parser works as before.
  p.ReleaseBigTables();
  EXPECT_EQ(HeldBytes(p), 0u);
  ASSERT_EQ(p.Parse(big, &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), many);
  // Small tables are kept (no reallocation for ordinary commands).
  ASSERT_EQ(p.Parse(Multibulk({"SET", "k", "v"}), &consumed), ParseStatus::kOk);
  p.ShrinkToRecentPeak();
  p.ShrinkToRecentPeak();
  const size_t small = HeldBytes(p);
  EXPECT_GT(small, 0u);
  EXPECT_LT(small, RequestParser::kBigTable * 16);
  p.ReleaseBigTables();
  EXPECT_EQ(HeldBytes(p), small);
  const std::string get = Multibulk({"GET", "k"});  // args() are views into it
  ASSERT_EQ(p.Parse(get, &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), (Args{"GET", "k"}));
}

TEST(ParserTest, BytesWantedIsZeroOnceTheBigBulkIsIn) {
  // A big bulk completes but the next argument's header has not arrived: nothing big is
  // pending any more, so the parser must not keep asking for the old size.
  const std::string big(50000, 'b');
  const std::string req = Multibulk({"SET", big, "v"});
  const size_t after_big = req.find(big) + big.size() + 2;
  RequestParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse(std::string_view(req).substr(0, after_big - 100), &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(p.bytes_wanted(), after_big);
  ASSERT_EQ(p.Parse(std::string_view(req).substr(0, after_big + 2), &consumed),
            ParseStatus::kIncomplete);
  EXPECT_EQ(p.bytes_wanted(), 0u);
  ASSERT_EQ(p.Parse(req, &consumed), ParseStatus::kOk);
  EXPECT_EQ(Copy(p.args()), (Args{"SET", big, "v"}));
}

// ---- Fuzz ---------------------------------------------------------------------------------

// Parses `stream` in chunks the way a connection does: every call gets the bytes from the
// start of the current request up to what has arrived. Returns the requests until the first
// error (and whether one happened). Buffers are exact-size heap copies, so that a read past
// the end is caught by AddressSanitizer in the MNEMO_SANITIZE build.
struct StreamResult {
  std::vector<Args> requests;
  bool error = false;
  bool operator==(const StreamResult&) const = default;
};

StreamResult ParseInChunks(const std::string& stream, std::mt19937_64& rng, bool one_shot) {
  StreamResult out;
  RequestParser p;
  p.set_max_bulk_len(1 << 20);
  size_t start = 0;    // first byte of the current request
  size_t arrived = 0;  // bytes received so far
  while (start < stream.size()) {
    if (one_shot) {
      arrived = stream.size();
    } else if (arrived < stream.size()) {
      arrived = std::min(stream.size(), arrived + 1 + rng() % 64);
    }
    const std::vector<char> buf(stream.begin() + static_cast<ptrdiff_t>(start),
                                stream.begin() + static_cast<ptrdiff_t>(arrived));
    size_t consumed = 0;
    const ParseStatus st = p.Parse(std::string_view(buf.data(), buf.size()), &consumed);
    if (st == ParseStatus::kError) {
      EXPECT_FALSE(p.error().empty());
      out.error = true;
      return out;
    }
    if (st == ParseStatus::kIncomplete) {
      EXPECT_EQ(consumed, 0u);
      if (arrived == stream.size()) return out;  // the stream ends inside a request
      continue;
    }
    if (consumed == 0 || consumed > buf.size()) {
      ADD_FAILURE() << "kOk consumed " << consumed << " of " << buf.size();
      return out;
    }
    out.requests.push_back(Copy(p.args()));
    start += consumed;
    if (arrived < start) arrived = start;
  }
  return out;
}

std::string RandomValidStream(std::mt19937_64& rng) {
  std::string s;
  const int n = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      s += "set k \"v\\x41\" 'q'\r\n";
      continue;
    }
    Args args;
    const int argc = static_cast<int>(rng() % 4);
    for (int a = 0; a <= argc; ++a) {
      std::string arg;
      const size_t len = rng() % 3 == 0 ? rng() % 200 : rng() % 8;
      for (size_t k = 0; k < len; ++k) arg.push_back(static_cast<char>(rng() % 256));
      args.push_back(arg);
    }
    s += Multibulk(args);
  }
  return s;
}

TEST(ParserTest, FuzzNeverCrashesAndChunkingDoesNotMatter) {
  std::mt19937_64 rng(424242);
  const std::string special = "*$\r\n-0123456789\"' \\x";
  int errors = 0;
  size_t requests = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string stream;
    switch (iter % 3) {
      case 0:  // random bytes, biased towards protocol characters
        for (size_t i = 0, n = rng() % 100; i < n; ++i) {
          stream.push_back(rng() % 2 ? special[rng() % special.size()]
                                     : static_cast<char>(rng() % 256));
        }
        break;
      case 1: {  // a valid stream with a few bytes mutated, inserted or deleted
        stream = RandomValidStream(rng);
        for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n && !stream.empty(); ++m) {
          const size_t at = rng() % stream.size();
          switch (rng() % 3) {
            case 0:
              stream[at] = special[rng() % special.size()];
              break;
            case 1:
              stream.insert(at, 1, special[rng() % special.size()]);
              break;
            default:
              stream.erase(at, 1);
              break;
          }
        }
        break;
      }
      default:  // a valid stream, possibly cut short
        stream = RandomValidStream(rng);
        if (rng() % 2) stream.resize(rng() % (stream.size() + 1));
        break;
    }
    const StreamResult whole = ParseInChunks(stream, rng, true);
    const StreamResult chunked = ParseInChunks(stream, rng, false);
    ASSERT_EQ(whole, chunked) << testing::PrintToString(stream);
    errors += whole.error;
    requests += whole.requests.size();
  }
  // The inputs reach both the error paths and complete requests often.
  EXPECT_GT(errors, 2000);
  EXPECT_GT(requests, 5000u);
}

TEST(ParserTest, ValidStreamsParseBackToTheirArguments) {
  std::mt19937_64 rng(77);
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<Args> want;
    std::string stream;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) {
      Args args;
      for (int a = 0, argc = 1 + static_cast<int>(rng() % 4); a < argc; ++a) {
        std::string arg;
        for (size_t k = 0, len = rng() % 50; k < len; ++k) {
          arg.push_back(static_cast<char>(rng() % 256));
        }
        args.push_back(arg);
      }
      stream += Multibulk(args);
      want.push_back(args);
    }
    const StreamResult got = ParseInChunks(stream, rng, false);
    ASSERT_FALSE(got.error);
    ASSERT_EQ(got.requests, want);
  }
}

}  // namespace
}  // namespace mnemo::protocol
