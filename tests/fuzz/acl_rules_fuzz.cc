// acl_rules_fuzz.cc: libFuzzer target for ACL SETUSER rules (tests/fuzz).
//
// The input is one ACL SETUSER argument list, one rule per line. Whatever it holds, applying it
// must not crash, must be all or nothing, and a user it creates must be described by rules that
// rebuild the same user (ACL LIST / ACL SAVE round trip).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/assert.h"
#include "mnemo/cmd/acl.h"

namespace {

const mnemo::cmd::CommandCatalog& Catalog() {
  struct Builtin {
    Builtin() {
      for (auto table : mnemo::cmd::CommandTables()) catalog.AddTable(table);
    }
    mnemo::cmd::CommandCatalog catalog;
  };
  static const Builtin builtin;
  return builtin.catalog;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t p = 0;
  while (p <= text.size()) {
    size_t q = text.find(sep, p);
    if (q == std::string_view::npos) q = text.size();
    out.push_back(text.substr(p, q - p));
    p = q + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mnemo::cmd::Acl;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Acl acl(Catalog());
  const std::vector<std::string_view> rules = Split(text, '\n');
  auto user = acl.SetUser("f", rules);
  if (!user.ok()) {
    // All or nothing: a refused rule list creates no user.
    MNEMO_ASSERT(acl.Find("f") == nullptr);
    return 0;
  }
  const std::string description = acl.Describe(**user);
  // The description is what ACL SAVE writes; reading it back gives the same user. Not quite
  // for patterns or allowed first arguments with parentheses, quotes or blanks, which Redis's
  // format cannot quote either ("(~a) +get)" reads back as the selector "(~a)", "+select|0 1"
  // as two rules): there it must only not crash.
  bool plain = true;
  for (const auto& s : (*user)->selectors) {
    auto odd = [](std::string_view p) {
      return p.find_first_of("()\"'\\ \t\r\n\v\f") != std::string_view::npos;
    };
    for (const auto& k : s.keys) plain = plain && !odd(k.pattern);
    for (const auto& c : s.channels) plain = plain && !odd(c);
    for (const auto& [id, args] : s.first_args) {
      for (const auto& a : args) plain = plain && !odd(a);
    }
  }
  std::vector<std::string_view> words = Split(description, ' ');
  auto again = acl.SetUser("g", words);
  if (!plain) return 0;
  MNEMO_ASSERT(again.ok());
  MNEMO_ASSERT(acl.Describe(**again) == description);
  // Checks run on anything the rules allow or refuse.
  const std::vector<std::string_view> probes[] = {{"get", "k"},
                                                  {"set", "k", "v", "GET"},
                                                  {"config", "get", "x"},
                                                  {"select", "0"},
                                                  {"zunionstore", "d", "2", "a", "b"},
                                                  {"del", "a", "b"},
                                                  {"auth", "x"}};
  for (const auto& argv : probes) {
    const auto* cmd = Catalog().Resolve(argv);
    MNEMO_ASSERT(cmd != nullptr);
    const auto a = acl.Check(**user, *cmd, argv);
    const auto b = acl.Check(**again, *cmd, argv);
    MNEMO_ASSERT(a.denial == b.denial);
  }
  return 0;
}
