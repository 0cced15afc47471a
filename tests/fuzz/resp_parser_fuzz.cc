// resp_parser_fuzz.cc: libFuzzer target for protocol::RequestParser, the parser of every byte a
// client sends (tests/fuzz).
//
// Input: byte 0 chooses the parser's settings (authenticated or not, a small or the default
// proto-max-bulk-len), byte 1 seeds how the rest is cut into reads; the rest is the stream. The
// stream is parsed twice: as one buffer, and in reads of 1..64 bytes the way a connection feeds
// the parser (the consumed prefix dropped, the rest moved to a new buffer). Both must give the
// same requests and the same error; a disagreement or a bad `consumed` aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/protocol/parser.h"

namespace {

using mnemo::protocol::ParseStatus;
using mnemo::protocol::RequestParser;

// One outcome: a request's arguments, an error, or the stream ending inside a request.
struct Event {
  enum Kind { kRequest, kError, kIncomplete } kind;
  std::vector<std::string> args;
  std::string error;
  bool operator==(const Event& o) const {
    return kind == o.kind && args == o.args && error == o.error;
  }
};

void Check(bool ok) {
  if (!ok) std::abort();
}

void Configure(RequestParser& p, uint8_t settings) {
  p.set_authenticated((settings & 1) != 0);
  p.set_max_bulk_len((settings & 2) != 0 ? 64 : 512LL * 1024 * 1024);
}

// Parses what `buffer` holds from its start; appends the outcomes. Returns the bytes consumed,
// and sets *stop on an error.
size_t Drain(RequestParser& p, std::string_view buffer, std::vector<Event>* events, bool* stop) {
  size_t pos = 0;
  while (pos < buffer.size()) {
    size_t consumed = 0;
    const ParseStatus status = p.Parse(buffer.substr(pos), &consumed);
    if (status == ParseStatus::kIncomplete) {
      Check(consumed == 0);
      break;
    }
    if (status == ParseStatus::kError) {
      Check(!p.error().empty());
      events->push_back({Event::kError, {}, p.error()});
      *stop = true;
      return pos;
    }
    Check(consumed > 0 && consumed <= buffer.size() - pos);
    Event e{Event::kRequest, {}, {}};
    for (std::string_view a : p.args()) e.args.emplace_back(a);
    events->push_back(std::move(e));
    pos += consumed;
  }
  return pos;
}

std::vector<Event> ParseWhole(std::string_view stream, uint8_t settings) {
  RequestParser p;
  Configure(p, settings);
  std::vector<Event> events;
  bool stop = false;
  const size_t used = Drain(p, stream, &events, &stop);
  if (!stop && used < stream.size()) events.push_back({Event::kIncomplete, {}, {}});
  return events;
}

std::vector<Event> ParseInReads(std::string_view stream, uint8_t settings, uint8_t seed) {
  RequestParser p;
  Configure(p, settings);
  std::vector<Event> events;
  std::string pending;  // received, not consumed
  uint32_t state = seed * 2654435761u + 1;
  size_t at = 0;
  bool stop = false;
  while (at < stream.size() && !stop) {
    state = state * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(1 + (state >> 16) % 64, stream.size() - at);
    // A new buffer for every read, as a connection may move its query buffer.
    std::string next = pending;
    next.append(stream.substr(at, n));
    at += n;
    const size_t used = Drain(p, next, &events, &stop);
    pending = next.substr(used);
  }
  if (!stop && !pending.empty()) events.push_back({Event::kIncomplete, {}, {}});
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t settings = data[0];
  const uint8_t seed = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::vector<Event> in_reads = ParseInReads(stream, settings, seed);
  // Below 32 KB (no inline line or count line can reach the 64 KB limits, which depend on what
  // one read holds) the cut must not matter.
  if (stream.size() < 32 * 1024) Check(ParseWhole(stream, settings) == in_reads);
  return 0;
}
