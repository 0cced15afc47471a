// repl_protocol.cc: parsing the primary's handshake replies and RDB header (layer: server).
#include "mnemo/server/repl_protocol.h"

#include <optional>

#include "mnemo/base/numbers.h"

namespace mnemo::server::repl {

LineStatus TakeLine(std::string_view buf, size_t max, std::string_view* line, size_t* consumed) {
  const size_t nl = buf.substr(0, max + 2).find('\n');
  if (nl == std::string_view::npos) {
    return buf.size() > max + 1 ? LineStatus::kTooLong : LineStatus::kIncomplete;
  }
  size_t end = nl;
  if (end > 0 && buf[end - 1] == '\r') --end;
  if (end > max) return LineStatus::kTooLong;
  *line = buf.substr(0, end);
  *consumed = nl + 1;
  return LineStatus::kLine;
}

bool ValidReplid(std::string_view id) {
  if (id.size() != 40) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

PsyncReply ParsePsyncReply(std::string_view line) {
  PsyncReply r;
  constexpr std::string_view kFull = "+FULLRESYNC";
  constexpr std::string_view kCont = "+CONTINUE";
  if (line.substr(0, kFull.size()) == kFull) {
    // "+FULLRESYNC <replid> <offset>"
    std::string_view rest = line.substr(kFull.size());
    if (rest.empty() || rest[0] != ' ') return r;
    rest.remove_prefix(1);
    const size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return r;
    const std::string_view id = rest.substr(0, sp);
    const std::optional<int64_t> offset = ParseInt64(rest.substr(sp + 1));
    if (!ValidReplid(id) || !offset || *offset < 0) return r;
    r.kind = PsyncReply::Kind::kFullResync;
    r.replid = std::string(id);
    r.offset = *offset;
    return r;
  }
  if (line.substr(0, kCont.size()) == kCont) {
    std::string_view rest = line.substr(kCont.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\r')) rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
    if (!rest.empty()) {
      if (!ValidReplid(rest)) return r;
      r.replid = std::string(rest);
    }
    r.kind = PsyncReply::Kind::kContinue;
    return r;
  }
  if (line.substr(0, 13) == "-NOMASTERLINK" || line.substr(0, 8) == "-LOADING") {
    r.kind = PsyncReply::Kind::kTryLater;
  } else if (line.substr(0, 4) == "-ERR") {
    r.kind = PsyncReply::Kind::kNotSupported;
  }
  return r;
}

bool ParseBulkHeader(std::string_view line, BulkHeader* out) {
  if (line.empty() || line[0] != '$') return false;
  line.remove_prefix(1);
  if (line.substr(0, 4) == "EOF:") {
    if (line.size() != 4 + kEofMarkSize) return false;
    out->eof_marked = true;
    out->mark = std::string(line.substr(4));
    return true;
  }
  const std::optional<int64_t> len = ParseInt64(line);
  if (!len || *len < 0) return false;
  out->eof_marked = false;
  out->length = *len;
  return true;
}

void EofMarkWatcher::Feed(std::string_view bytes) {
  if (bytes.size() >= kEofMarkSize) {
    tail_.assign(bytes.substr(bytes.size() - kEofMarkSize));
    return;
  }
  tail_.append(bytes);
  if (tail_.size() > kEofMarkSize) tail_.erase(0, tail_.size() - kEofMarkSize);
}

}  // namespace mnemo::server::repl
