// sort_cmds.cc: SORT and SORT_RO over lists, sets and sorted sets (layer: cmd). Semantics,
// replies and error texts follow Redis 7.0's sort.c.
//
// The elements are copied out through each type's API, weighed (the element itself, or the
// string or hash field a BY pattern names), sorted, cut by LIMIT, and either returned (each
// element, or what the GET patterns name for it) or stored as a list.
//
// The patterns may touch any key of the database: in cluster mode (where they could name keys of
// other slots) they are refused, and otherwise a user needs read access to every key to use them
// (both as Redis 7.0's sort.c).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/zset_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// The value a pattern names for `element` (Redis lookupKeyByPattern): "#" is the element itself;
// otherwise the first '*' is replaced by the element to make a key name, and a "->field" after
// the '*' names a field of the hash at that key; without it the key must hold a string. Nullopt
// when the pattern has no '*', or the key (or field) is missing or of another type.
std::optional<std::string> LookupByPattern(db::Db& d, std::string_view pattern,
                                           std::string_view element) {
  if (pattern == "#") return std::string(element);
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view rest = pattern.substr(star + 1);
  std::string_view field;
  const size_t arrow = rest.find("->");
  if (arrow != std::string_view::npos && arrow + 2 < rest.size()) {
    field = rest.substr(arrow + 2);
    rest = rest.substr(0, arrow);
  }
  std::string key;
  key.reserve(star + element.size() + rest.size());
  key.append(pattern.substr(0, star)).append(element).append(rest);
  Object* o = d.LookupRead(key);
  if (o == nullptr) return std::nullopt;
  if (!field.empty()) {
    if (o->type() != ObjType::kHash) return std::nullopt;
    db::HashValueBuffer buf;
    const std::optional<std::string_view> v = db::HashGet(*o, field, buf);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  if (o->type() != ObjType::kString) return std::nullopt;
  db::StringBuffer buf;
  return std::string(db::StringView(*o, buf));
}

// One element to sort and its weight.
struct SortItem {
  std::string element;
  double score = 0;                // numeric weight
  std::optional<std::string> key;  // ALPHA weight from a BY pattern (missing sorts first)
};

// Binary comparison, shorter first on a common prefix (Redis compareStringObjects).
int CompareBinary(const std::string& a, const std::string& b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// The comparison of the C locale, which stops at a NUL byte as strcoll does (Redis uses strcoll
// when it does not store, compareStringObjects when it does).
int CompareCollate(const std::string& a, const std::string& b) {
  return std::strcmp(a.c_str(), b.c_str());
}

// The element's numeric weight as Redis reads it with strtod: leading space, hex and "inf" are
// accepted; trailing bytes, NaN and out-of-range values are not.
bool ParseWeight(const std::string& s, double* out) {
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

void SortGeneric(Context& ctx, bool readonly) {
  bool desc = false;
  bool alpha = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  bool dontsort = false;
  std::optional<std::string_view> sortby;
  std::optional<std::string_view> store_key;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const std::string_view arg = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (EqualsIgnoreCase(arg, "asc")) {
      desc = false;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      desc = true;
    } else if (EqualsIgnoreCase(arg, "alpha")) {
      alpha = true;
    } else if (EqualsIgnoreCase(arg, "limit") && left >= 2) {
      auto s = IntArg(ctx, ctx.arg(j + 1));
      if (!s) return;
      auto c = IntArg(ctx, ctx.arg(j + 2));
      if (!c) return;
      limit_start = *s;
      limit_count = *c;
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(arg, "store") && left >= 1) {
      store_key = ctx.arg(j + 1);
      ++j;
    } else if (EqualsIgnoreCase(arg, "by") && left >= 1) {
      sortby = ctx.arg(j + 1);
      // A pattern without '*' names no key per element: nothing to sort by.
      dontsort = sortby->find('*') == std::string_view::npos;
      if (!dontsort && ctx.dispatcher.cluster().enabled) {
        ctx.reply.Error(protocol::kErrSortByCluster);
        return;
      }
      // A real pattern reads keys no argument names: the user must be allowed every key.
      if (!dontsort && !ctx.dispatcher.CanReadAnyKey(ctx.client, ctx.argv)) {
        ctx.reply.Error(protocol::kErrSortByNoPerm);
        return;
      }
      ++j;
    } else if (EqualsIgnoreCase(arg, "get") && left >= 1) {
      if (ctx.dispatcher.cluster().enabled) {
        ctx.reply.Error(protocol::kErrSortGetCluster);
        return;
      }
      // Even "GET #" (Redis 7.0 asks for every key whatever the pattern).
      if (!ctx.dispatcher.CanReadAnyKey(ctx.client, ctx.argv)) {
        ctx.reply.Error(protocol::kErrSortGetNoPerm);
        return;
      }
      gets.push_back(ctx.arg(j + 1));
      ++j;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }

  db::Db& d = ctx.db();
  Object* o = d.LookupRead(ctx.arg(1));
  if (o != nullptr && o->type() != ObjType::kSet && o->type() != ObjType::kList &&
      o->type() != ObjType::kZset) {
    ctx.reply.Error(protocol::kErrWrongType);
    return;
  }
  const ObjType type = o != nullptr ? o->type() : ObjType::kList;
  // A set has no order of its own: stored results are sorted (ALPHA) so that they are the same
  // wherever the command is replayed.
  if (dontsort && type == ObjType::kSet && store_key) {
    dontsort = false;
    alpha = true;
    sortby.reset();
  }

  int64_t len = 0;
  if (o != nullptr) {
    len = static_cast<int64_t>(type == ObjType::kList  ? db::ListLength(*o)
                               : type == ObjType::kSet ? db::SetSize(*o)
                                                       : db::ZsetLength(*o));
  }
  int64_t start = std::min(std::max(limit_start, int64_t{0}), len);
  limit_count = std::min(std::max(limit_count, int64_t{-1}), len);
  int64_t end = limit_count < 0 ? len - 1 : start + limit_count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  // Load the elements. A list or sorted set in its own order (BY a constant) loads only the
  // LIMIT range, walked backwards for DESC.
  std::vector<SortItem> items;
  const bool native_range = dontsort && (type == ObjType::kList || type == ObjType::kZset);
  if (native_range) {
    if (end >= start) {
      items.reserve(static_cast<size_t>(end - start + 1));
      if (type == ObjType::kList) {
        db::ListIterator it(*o, desc ? len - start - 1 : start,
                            desc ? db::ListDirection::kTailToHead : db::ListDirection::kHeadToTail);
        while (static_cast<int64_t>(items.size()) < end - start + 1 && it.Next()) {
          items.push_back(SortItem{std::string(it.Value())});
        }
      } else {
        db::ZsetRangeByRank(o, static_cast<size_t>(start), static_cast<size_t>(end), desc,
                            [&](std::string_view m, double) { items.push_back({std::string(m)}); });
      }
    }
    end -= start;
    start = 0;
  } else if (o != nullptr) {
    items.reserve(static_cast<size_t>(len));
    if (type == ObjType::kList) {
      db::ListIterator it(*o, 0, db::ListDirection::kHeadToTail);
      while (it.Next()) items.push_back({std::string(it.Value())});
    } else if (type == ObjType::kSet) {
      db::SetForEach(o, [&](const db::SetMember& m) {
        db::IntBuffer buf;
        items.push_back({std::string(m.Bytes(buf))});
        return true;
      });
    } else if (len > 0) {
      db::ZsetRangeByRank(o, 0, static_cast<size_t>(len - 1), false,
                          [&](std::string_view m, double) { items.push_back({std::string(m)}); });
    }
  }

  bool conversion_error = false;
  if (!dontsort) {
    for (SortItem& item : items) {
      std::optional<std::string> weight;
      if (sortby) {
        weight = LookupByPattern(d, *sortby, item.element);
        if (!weight) continue;  // a missing weight counts as 0, or sorts first with ALPHA
      }
      if (alpha) {
        if (sortby) item.key = std::move(weight);
      } else if (!ParseWeight(weight ? *weight : item.element, &item.score)) {
        conversion_error = true;
      }
    }
    const bool by_pattern = sortby.has_value();
    const bool storing = store_key.has_value();
    const auto compare = [&](const SortItem& a, const SortItem& b) {
      int c;
      if (!alpha) {
        c = a.score > b.score ? 1 : (a.score < b.score ? -1 : CompareBinary(a.element, b.element));
      } else if (by_pattern) {
        if (!a.key || !b.key) {
          c = a.key.has_value() == b.key.has_value() ? 0 : (a.key ? 1 : -1);
        } else {
          c = storing ? CompareBinary(*a.key, *b.key) : CompareCollate(*a.key, *b.key);
        }
      } else {
        c = storing ? CompareBinary(a.element, b.element) : CompareCollate(a.element, b.element);
      }
      return desc ? c > 0 : c < 0;
    };
    // Stable, as glibc's qsort (a merge sort) under Redis: equal elements keep their order.
    std::stable_sort(items.begin(), items.end(), compare);
  }

  const int64_t selected = end - start + 1;
  const size_t outputlen = static_cast<size_t>(selected) * (gets.empty() ? 1 : gets.size());
  if (conversion_error) {
    ctx.reply.Error(protocol::kErrSortNotDouble);
    return;
  }
  if (!store_key) {
    ctx.reply.ArrayHeader(outputlen);
    for (int64_t j = start; j <= end; ++j) {
      const std::string& element = items[static_cast<size_t>(j)].element;
      if (gets.empty()) ctx.reply.Bulk(element);
      for (std::string_view pattern : gets) {
        const std::optional<std::string> v = LookupByPattern(d, pattern, element);
        if (v) {
          ctx.reply.Bulk(*v);
        } else {
          ctx.reply.Null();
        }
      }
    }
    return;
  }

  std::vector<std::string> values;
  values.reserve(outputlen);
  for (int64_t j = start; j <= end; ++j) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (gets.empty()) values.push_back(element);
    for (std::string_view pattern : gets) {
      values.push_back(LookupByPattern(d, pattern, element).value_or(std::string()));
    }
  }
  const std::string_view dest = *store_key;
  if (values.empty()) {
    if (d.Delete(dest, ctx.keyspace.options().lazyfree_lazy_server_del)) {
      ctx.Changed(dest, db::kNotifyGeneric, "del");
    }
    ctx.reply.Integer(0);
    return;
  }
  Object* list = db::NewListObject(ctx.keyspace, dest);
  std::vector<std::string_view> views(values.begin(), values.end());
  db::ListPush(list, ctx.keyspace.options(), views, db::ListEnd::kTail);
  if (Object* old = d.LookupWrite(dest); old != nullptr) {
    d.Overwrite(old, list);
  } else {
    d.Add(list);
  }
  ctx.Changed(dest, db::kNotifyList, "sortstore", values.size());
  ctx.reply.Integer(static_cast<int64_t>(values.size()));
}

void SortCommand(Context& ctx) { SortGeneric(ctx, false); }
void SortRoCommand(Context& ctx) { SortGeneric(ctx, true); }

constexpr CommandSpec kSortCommands[] = {
    {"sort", SortCommand, -2, kWrite | kDenyOom | kMovableKeys, 1, 1, 1, "generic",
     "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
     "1.0.0",
     "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
     "number of returned elements. When the elements are not sorted, complexity is O(N).",
     kNoSubcommands, kAclSet | kAclSortedSet | kAclList | kAclDangerous, KeysFrom(SortKeys)},
    {"sort_ro", SortRoCommand, -2, kReadOnly | kMovableKeys, 1, 1, 1, "generic",
     "Returns the sorted elements of a list, a set, or a sorted set.", "7.0.0",
     "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
     "number of returned elements. When the elements are not sorted, complexity is O(N).",
     kNoSubcommands, kAclSet | kAclSortedSet | kAclList | kAclDangerous, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> SortCommands() { return kSortCommands; }

}  // namespace mnemo::cmd
