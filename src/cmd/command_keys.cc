// command_keys.cc: the keys of a request and what the command does to each (layer: cmd).
#include "mnemo/cmd/command_keys.h"

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"

namespace mnemo::cmd {

namespace {

// Keys at first..last (negative: from the end) every `step`, each with `access`. Returns false
// when the range falls outside argv (Redis's key-spec range check).
bool AddRange(std::span<const std::string_view> argv, int64_t first, int64_t last, int64_t step,
              uint8_t access, std::vector<KeyRef>& keys) {
  const auto argc = static_cast<int64_t>(argv.size());
  if (last < 0) last += argc;
  if (first <= 0 || step <= 0 || last >= argc || last < first || first >= argc) return false;
  for (int64_t i = first; i <= last; i += step) keys.push_back({static_cast<size_t>(i), access});
  return true;
}

// The value atoi() would read (Redis's getkeys procedures parse numkeys so).
int64_t AtoiLike(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  int64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (INT32_MAX - 9) / 10) break;  // atoi's overflow is undefined; stop growing
    v = v * 10 + (s[i] - '0');
  }
  return negative ? -v : v;
}

// "[store] numkeys key [key ...]": the numkeys keys starting at numkeys_pos + 1 with `access`,
// and the destination at store_pos (if not 0) written. Key specs first: the destination, then
// the sources. When numkeys is not a plain integer in range, Redis falls back to its getkeys
// procedure, which reads numkeys with atoi and gives the keys (sources, then the destination)
// no access flags.
bool NumkeysKeys(std::span<const std::string_view> argv, size_t store_pos, size_t numkeys_pos,
                 uint8_t access, std::vector<KeyRef>& keys) {
  const auto argc = static_cast<int64_t>(argv.size());
  if (static_cast<int64_t>(numkeys_pos) >= argc) return false;
  const int64_t first = static_cast<int64_t>(numkeys_pos) + 1;
  if (auto n = ParseInt64(argv[numkeys_pos]); n && *n >= 0) {
    const int64_t last = first + *n - 1;
    if (!(last >= argc || last < first || first >= argc)) {
      if (store_pos != 0) keys.push_back({store_pos, kKeyWrite});
      for (int64_t i = first; i <= last; ++i) keys.push_back({static_cast<size_t>(i), access});
      return true;
    }
  }
  const int64_t num = AtoiLike(argv[numkeys_pos]);
  if (num < 1 || num > argc - first) return false;
  for (int64_t i = 0; i < num; ++i) keys.push_back({static_cast<size_t>(first + i), kKeyNone});
  if (store_pos != 0) keys.push_back({store_pos, kKeyNone});
  return true;
}

}  // namespace

bool CommandHasKeys(const CommandSpec& spec) {
  return (spec.first_key > 0 && !spec.keys.not_key) || spec.keys.find != nullptr;
}

bool CommandKeys(const CommandSpec& spec, std::span<const std::string_view> argv,
                 std::vector<KeyRef>& keys) {
  const size_t before = keys.size();
  bool ok = false;
  if (spec.keys.find != nullptr) {
    ok = spec.keys.find(argv, keys);
  } else if (spec.first_key > 0 && !spec.keys.not_key) {
    ok = AddRange(argv, spec.first_key, spec.last_key, spec.key_step, spec.keys.access, keys);
  }
  if (!ok) keys.resize(before);
  return ok;
}

bool SetKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  uint8_t access = kKeyWrite;
  for (size_t i = 3; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "GET")) access = kKeyReadWrite;
  }
  keys.push_back({1, access});
  return true;
}

bool BitfieldKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  // Read-only iff every operation is a complete GET or OVERFLOW; anything else (including a
  // syntax error) counts as a write, as Redis's bitfieldGetKeys decides.
  bool readonly = true;
  for (size_t i = 2; i < argv.size(); ++i) {
    const size_t more = argv.size() - i - 1;
    if (EqualsIgnoreCase(argv[i], "GET") && more >= 2) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "OVERFLOW") && more >= 1) {
      i += 1;
    } else {
      readonly = false;
      break;
    }
  }
  keys.push_back({1, readonly ? uint8_t{kKeyRead} : uint8_t{kKeyReadWrite}});
  return true;
}

bool BitopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 2, 2, 1, kKeyWrite, keys) && AddRange(argv, 3, -1, 1, kKeyRead, keys);
}

bool CopyKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 1, 1, 1, kKeyRead, keys) && AddRange(argv, 2, 2, 1, kKeyWrite, keys);
}

bool LmoveKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 1, 1, 1, kKeyReadWrite, keys) && AddRange(argv, 2, 2, 1, kKeyWrite, keys);
}

bool RenameKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return LmoveKeys(argv, keys);
}

bool StoreFromRestKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 1, 1, 1, kKeyWrite, keys) && AddRange(argv, 2, -1, 1, kKeyRead, keys);
}

bool DestinationSourceKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 1, 1, 1, kKeyWrite, keys) && AddRange(argv, 2, 2, 1, kKeyRead, keys);
}

bool NumkeysStoreKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return NumkeysKeys(argv, 1, 2, kKeyRead, keys);
}

bool NumkeysReadKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return NumkeysKeys(argv, 0, 1, kKeyRead, keys);
}

bool NumkeysPopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return NumkeysKeys(argv, 0, 1, kKeyReadWrite, keys);
}

bool TimeoutNumkeysPopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return NumkeysKeys(argv, 0, 2, kKeyReadWrite, keys);
}

bool PfmergeKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return AddRange(argv, 1, 1, 1, kKeyReadWrite, keys) && AddRange(argv, 2, -1, 1, kKeyRead, keys);
}

namespace {

// GEORADIUS / GEORADIUSBYMEMBER: the key read, then the key after the first STORE and the key
// after the first STOREDIST, searched from `from` up to the argument before the last (Redis's
// keyword key specs), each written.
bool GeoradiusKeysFrom(std::span<const std::string_view> argv, size_t from,
                       std::vector<KeyRef>& keys) {
  if (!AddRange(argv, 1, 1, 1, kKeyRead, keys)) return false;
  for (std::string_view keyword : {"STORE", "STOREDIST"}) {
    for (size_t i = from; i + 1 < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], keyword)) {
        keys.push_back({i + 1, kKeyWrite});
        break;
      }
    }
  }
  return true;
}

}  // namespace

bool GeoradiusKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return GeoradiusKeysFrom(argv, 6, keys);
}

bool GeoradiusbymemberKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  return GeoradiusKeysFrom(argv, 5, keys);
}

bool SortKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys) {
  // Redis's sortGetKeys: LIMIT skips two arguments, BY and GET one; the last STORE followed by
  // an argument names the destination (the argument after it is still looked at).
  if (!AddRange(argv, 1, 1, 1, kKeyRead, keys)) return false;
  size_t store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "LIMIT")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "GET") || EqualsIgnoreCase(argv[i], "BY")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "STORE") && i + 1 < argv.size()) {
      store = i + 1;
    }
  }
  if (store != 0) keys.push_back({store, kKeyWrite});
  return true;
}

}  // namespace mnemo::cmd
