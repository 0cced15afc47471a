// repl_protocol.h: what a replica reads from its primary before the command stream: reply
// lines of the handshake, PSYNC's answer, the header of the RDB transfer and the end mark of a
// diskless one (layer: server). Every byte comes from the network: nothing here trusts a length
// or a count it reads (tests/fuzz/repl_protocol_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mnemo::server::repl {

// The longest line the replica accepts from its primary during the handshake.
inline constexpr size_t kMaxLine = 64 * 1024;
// The length of a diskless transfer's end mark (Redis RDB_EOF_MARK_SIZE).
inline constexpr size_t kEofMarkSize = 40;

enum class LineStatus : uint8_t { kLine, kIncomplete, kTooLong };

// A line at the start of `buf`, ending with "\n" (the "\r" before it is not part of *line).
// *consumed counts the bytes up to and including the "\n". Lines longer than `max` are refused.
LineStatus TakeLine(std::string_view buf, size_t max, std::string_view* line, size_t* consumed);

// PSYNC's answer (Redis slaveTryPartialResynchronization).
struct PsyncReply {
  enum class Kind : uint8_t {
    kFullResync,    // +FULLRESYNC <replid> <offset>
    kContinue,      // +CONTINUE [<new replid>]: replid is empty when the id did not change
    kTryLater,      // -NOMASTERLINK, -LOADING: the primary cannot serve now
    kNotSupported,  // -ERR...: a primary without PSYNC (SYNC would be the fallback)
    kError,         // anything else
  };
  Kind kind = Kind::kError;
  std::string replid;
  int64_t offset = -1;
};
PsyncReply ParsePsyncReply(std::string_view line);

// The line announcing the RDB: "$EOF:<40 bytes>" (diskless, end marked) or "$<length>".
struct BulkHeader {
  bool eof_marked = false;
  std::string mark;    // the 40 bytes, when eof_marked
  int64_t length = 0;  // otherwise
};
bool ParseBulkHeader(std::string_view line, BulkHeader* out);

// Watches a diskless transfer for its end: the mark as the last 40 bytes received.
class EofMarkWatcher {
 public:
  explicit EofMarkWatcher(std::string mark) : mark_(std::move(mark)) {}
  // Takes the next bytes of the transfer.
  void Feed(std::string_view bytes);
  // The bytes fed so far end with the mark.
  bool found() const { return tail_ == mark_; }

 private:
  std::string mark_;
  std::string tail_;  // the last kEofMarkSize bytes (fewer at first)
};

// A 40-character hex replication id (Redis CONFIG_RUN_ID_SIZE).
bool ValidReplid(std::string_view id);

}  // namespace mnemo::server::repl
