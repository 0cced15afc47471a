// status.cc: the assertion handler (layer: base).
#include "mnemo/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace mnemo::internal {

void AssertFailed(const char* expr, const char* file, int line) {
  // stderr, not the logger: the logger may be what is broken.
  std::fprintf(stderr, "=== MNEMO BUG REPORT: assertion failed: %s (%s:%d)\n", expr, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace mnemo::internal
