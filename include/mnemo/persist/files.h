// files.h: what every persistence file needs from the file system (layer: persist).
#pragma once

#include <string>

#include "mnemo/base/status.h"

namespace mnemo::persist {

// The directory of `path` ("." when it names none, "/" for a file at the root).
std::string DirOf(const std::string& path);
// fsync of a directory, so that a rename or a creation in it is durable. The error is the
// system's text.
[[nodiscard]] Status FsyncDir(const std::string& dir);

}  // namespace mnemo::persist
