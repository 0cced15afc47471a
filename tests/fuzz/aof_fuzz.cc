// aof_fuzz.cc: libFuzzer target for the AOF's parsers: the manifest and the command stream
// (tests/fuzz).
//
// The first byte picks what the rest is:
//   even: a manifest's text. What parses must format and parse again to the same manifest
//         (unless a quoted name makes a line longer than a manifest line may be).
//   odd:  a command file: items are parsed one after another as the loader does. Every command
//         parsed must encode back (AppendAofCommand) to bytes that parse to the same argv, and
//         every proper prefix of the first item must parse as incomplete (a truncated file is
//         never mistaken for a shorter command).
// Anything else (a crash, a leak, undefined behaviour, an over-read, an allocation the input
// cannot justify) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/persist/aof.h"

namespace {

using namespace mnemo;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "aof_fuzz: %s\n", what);
    std::abort();
  }
}

void FuzzManifest(std::string_view text) {
  Result<persist::AofManifest> m = persist::ParseAofManifest(text);
  if (!m.ok()) return;
  const std::string formatted = m->Format();
  if (formatted.empty()) return;  // comments only: nothing to compare
  // A name of unprintable bytes is written quoted, four bytes per byte, and may then exceed the
  // longest line a manifest may have (Redis has the same limit): such a manifest is not read
  // back; everything else must be.
  size_t line_start = 0;
  for (size_t i = 0; i < formatted.size(); ++i) {
    if (formatted[i] != '\n') continue;
    if (i - line_start + 1 > persist::kAofManifestMaxLine) return;
    line_start = i + 1;
  }
  Result<persist::AofManifest> again = persist::ParseAofManifest(formatted);
  Check(again.ok(), "a formatted manifest does not parse");
  Check(again->Format() == formatted, "manifest format is not stable");
}

void FuzzCommands(std::string_view data) {
  std::vector<std::string> argv, again;
  std::string error;
  size_t pos = 0;
  bool first = true;
  // Small bulk limit: the harness's inputs are small, and large claimed lengths must be refused
  // or wait for bytes, never allocated.
  constexpr int64_t kMaxBulk = 1 << 20;
  while (pos < data.size()) {
    size_t consumed = 0;
    const persist::AofParseStatus st =
        persist::ParseAofItem(data.substr(pos), &argv, &consumed, &error, kMaxBulk);
    if (st == persist::AofParseStatus::kIncomplete || st == persist::AofParseStatus::kError) {
      return;
    }
    Check(consumed > 0 && consumed <= data.size() - pos, "consumed out of range");
    if (st == persist::AofParseStatus::kCommand) {
      Check(!argv.empty(), "a command without arguments");
      std::string encoded;
      persist::AppendAofCommand(&encoded, std::span<const std::string>(argv));
      size_t used = 0;
      Check(persist::ParseAofItem(encoded, &again, &used, &error, kMaxBulk) ==
                    persist::AofParseStatus::kCommand &&
                used == encoded.size() && again == argv,
            "re-encoded command differs");
      if (first) {
        for (size_t cut = 0; cut < consumed; ++cut) {
          size_t u = 0;
          const persist::AofParseStatus p =
              persist::ParseAofItem(data.substr(pos, cut), &again, &u, &error, kMaxBulk);
          Check(p == persist::AofParseStatus::kIncomplete,
                "a prefix of a command is not incomplete");
        }
        first = false;
      }
    }
    pos += consumed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    FuzzManifest(rest);
  } else {
    FuzzCommands(rest);
  }
  return 0;
}
