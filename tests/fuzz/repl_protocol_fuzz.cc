// repl_protocol_fuzz.cc: libFuzzer target for what a replica parses from its primary before the
// command stream: handshake reply lines, PSYNC's answer, the RDB header and the end mark of a
// diskless transfer (server/repl_protocol.h) (tests/fuzz). The command stream itself goes
// through the RESP request parser (resp_parser_fuzz).
//
// The input is read as the replica reads its socket: lines one after another (TakeLine), each
// parsed as PSYNC's answer and as a bulk header; what parses must be well formed (a 40-character
// id, an offset >= 0, a 40-byte mark). The rest of the input, cut at the first byte's value,
// is fed to an EofMarkWatcher in two pieces, which must agree with a direct comparison.
// Anything else (a crash, an over-read, undefined behaviour) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mnemo/server/repl_protocol.h"

namespace {

using namespace mnemo::server;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "repl_protocol_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Small lines so that the too-long path is reached too.
  const size_t max = size > 0 ? 16 + data[0] % 200 : 64;
  std::string_view rest = in;
  while (!rest.empty()) {
    std::string_view line;
    size_t consumed = 0;
    const repl::LineStatus st = repl::TakeLine(rest, max, &line, &consumed);
    if (st != repl::LineStatus::kLine) break;
    Check(consumed >= 1 && consumed <= rest.size(), "consumed out of range");
    Check(line.size() <= max && line.size() < consumed, "line longer than allowed");
    Check(line.data() == rest.data(), "line does not start the input");
    Check(rest[consumed - 1] == '\n', "line does not end with a newline");
    const repl::PsyncReply r = repl::ParsePsyncReply(line);
    if (r.kind == repl::PsyncReply::Kind::kFullResync) {
      Check(repl::ValidReplid(r.replid) && r.offset >= 0, "bad +FULLRESYNC accepted");
    }
    if (r.kind == repl::PsyncReply::Kind::kContinue) {
      Check(r.replid.empty() || repl::ValidReplid(r.replid), "bad +CONTINUE id accepted");
    }
    repl::BulkHeader h;
    if (repl::ParseBulkHeader(line, &h)) {
      Check(h.eof_marked ? h.mark.size() == repl::kEofMarkSize : h.length >= 0, "bad bulk header");
    }
    rest.remove_prefix(consumed);
  }
  // The end mark: the input's own first 40 bytes are the mark when there are enough.
  if (size >= repl::kEofMarkSize) {
    const std::string mark(in.substr(0, repl::kEofMarkSize));
    const std::string_view body = in.substr(repl::kEofMarkSize);
    const size_t cut = body.empty() ? 0 : data[size - 1] % (body.size() + 1);
    repl::EofMarkWatcher w(mark);
    w.Feed(body.substr(0, cut));
    w.Feed(body.substr(cut));
    const bool direct = body.size() >= repl::kEofMarkSize &&
                        body.substr(body.size() - repl::kEofMarkSize) == mark;
    Check(w.found() == direct, "end mark watcher disagrees");
  }
  return 0;
}
