// assert.h: MNEMO_ASSERT, an always-on invariant check that logs and aborts (layer: base).
#pragma once

namespace mnemo::internal {
[[noreturn]] void AssertFailed(const char* expr, const char* file, int line);
}  // namespace mnemo::internal

// Checked in every build type: a broken invariant in a database must stop the process, not
// corrupt data silently.
#define MNEMO_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::mnemo::internal::AssertFailed(#expr, __FILE__, __LINE__))
