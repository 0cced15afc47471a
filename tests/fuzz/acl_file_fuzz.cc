// acl_file_fuzz.cc: libFuzzer target for the ACL file (ACL LOAD, aclfile) and config-file
// `user` lines (tests/fuzz).
//
// Loading must never crash and never half-apply: on error the users are the ones before; on
// success what ACL SAVE writes loads again to the same text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/assert.h"
#include "mnemo/base/strings.h"
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

bool PlainPatterns(const mnemo::cmd::Acl& acl) {
  auto odd = [](std::string_view p) {
    return p.find_first_of("()\"'\\ \t\r\n\v\f") != std::string_view::npos;
  };
  for (const auto& [name, u] : acl.users()) {
    for (const auto& s : u->selectors) {
      for (const auto& k : s.keys) {
        if (odd(k.pattern)) return false;
      }
      for (const auto& c : s.channels) {
        if (odd(c)) return false;
      }
      for (const auto& [id, args] : s.first_args) {
        for (const auto& a : args) {
          if (odd(a)) return false;
        }
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mnemo::cmd::Acl;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Acl acl(Catalog());
  const std::string before = acl.SaveText();
  auto loaded = acl.LoadText(text, "fuzz.acl");
  if (!loaded.ok()) {
    MNEMO_ASSERT(acl.SaveText() == before);
  } else if (PlainPatterns(acl)) {
    // What ACL SAVE writes loads again to the same text (patterns with parentheses or quotes
    // excepted: the file format cannot quote them, in Redis either).
    const std::string saved = acl.SaveText();
    Acl other(Catalog());
    auto again = other.LoadText(saved, "saved.acl");
    MNEMO_ASSERT(again.ok());
    MNEMO_ASSERT(other.SaveText() == saved);
  }
  // The same lines as config-file `user` directives (quoting as redis.conf).
  std::vector<std::vector<std::string>> accepted;
  size_t p = 0;
  while (p <= text.size()) {
    size_t q = text.find('\n', p);
    if (q == std::string_view::npos) q = text.size();
    auto args = mnemo::SplitArgs(text.substr(p, q - p));
    p = q + 1;
    if (!args || args->size() < 2 || !mnemo::EqualsIgnoreCase((*args)[0], "user")) continue;
    if (Acl::ValidateConfigUser(Catalog(), *args, accepted).ok()) {
      auto rules = Acl::ConfigUserRules(*args);
      MNEMO_ASSERT(rules.has_value());
      accepted.push_back(std::move(*rules));
    }
  }
  Acl configured(Catalog());
  (void)configured.LoadConfigUsers(accepted);
  return 0;
}
