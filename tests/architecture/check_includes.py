#!/usr/bin/python3
"""check_includes.py: includes and links only go down the module table (tests/architecture).

The table is the one of ARCHITECTURE.md ("Rooms (modules) and the direction of their doors"):
a file under include/mnemo/<module>/ or src/<module>/ may include "mnemo/<other>/..." only when
<other> is the module itself or one it depends on, and src/<module>/CMakeLists.txt may link only
those modules' libraries. Every offending line is printed as file:line; the exit status is 1 if
there is any, so CTest fails.

Usage: check_includes.py <source dir>     check the tree
       check_includes.py --self-test      check that the checker catches a planted violation
"""

import os
import re
import sys
import tempfile

# module -> the modules it may include and link (besides itself).
ALLOWED = {
    "base": set(),
    "mem": {"base"},
    "ds": {"mem", "base"},
    "db": {"ds", "mem", "base"},
    "protocol": {"base"},
    "script": {"protocol", "mem", "base"},
    "cmd": {"db", "protocol", "script", "mem", "base"},
    "net": {"protocol", "base"},
    "persist": {"db", "ds", "mem", "base"},
    "server": {"base", "mem", "ds", "db", "protocol", "script", "cmd", "net", "persist"},
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]mnemo/([A-Za-z0-9_]+)/')
LINK_RE = re.compile(r"\bmnemo_([a-z0-9_]+)\b")
LINK_CALL_RE = re.compile(r"target_link_libraries\s*\(([^)]*)\)", re.S)
SOURCE_SUFFIXES = (".h", ".hh", ".hpp", ".cc", ".cpp", ".c", ".inc")


def module_dirs(root):
    """Yields (module, directory) for every module directory that exists."""
    for top in (os.path.join(root, "include", "mnemo"), os.path.join(root, "src")):
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            path = os.path.join(top, name)
            if os.path.isdir(path):
                yield name, path


def check(root):
    """Returns the list of violations, each a printable line."""
    problems = []
    for module, directory in module_dirs(root):
        if module not in ALLOWED:
            rel = os.path.relpath(directory, root)
            problems.append(f"{rel}: module '{module}' is not in the module table "
                            "(add it to ARCHITECTURE.md and to this checker)")
            continue
        allowed = ALLOWED[module] | {module}
        for dirpath, _, files in os.walk(directory):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if name.endswith(SOURCE_SUFFIXES):
                    with open(path, encoding="utf-8", errors="replace") as f:
                        for lineno, line in enumerate(f, 1):
                            m = INCLUDE_RE.match(line)
                            if m and m.group(1) not in allowed:
                                problems.append(
                                    f"{rel}:{lineno}: module '{module}' includes module "
                                    f"'{m.group(1)}': {line.strip()}")
                elif name == "CMakeLists.txt":
                    with open(path, encoding="utf-8", errors="replace") as f:
                        text = f.read()
                    lines = text.splitlines()
                    for call in LINK_CALL_RE.finditer(text):
                        for token in LINK_RE.finditer(call.group(1)):
                            other = token.group(1)
                            if other in ALLOWED and other not in allowed:
                                lineno = text.count("\n", 0, call.start(1) + token.start()) + 1
                                problems.append(
                                    f"{rel}:{lineno}: module '{module}' links module "
                                    f"'{other}': {lines[lineno - 1].strip()}")
    return problems


def self_test():
    """Plants violations in a scratch tree and checks that each one is reported."""
    with tempfile.TemporaryDirectory() as root:
        def write(rel, text):
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        write("include/mnemo/base/ok.h", '#include "mnemo/base/status.h"\n')
        write("include/mnemo/protocol/bad.h", '// x\n#include "mnemo/db/object.h"\n')
        write("src/net/bad.cc",
              '#include "mnemo/net/connection.h"\n#  include "mnemo/cmd/command.h"\n')
        write("src/mem/bad.cc", '#include <mnemo/ds/dict.h>\n')
        write("src/db/ok.cc", '#include "mnemo/ds/dict.h"\n#include "mnemo/mem/zmalloc.h"\n')
        write("src/protocol/CMakeLists.txt",
              "target_link_libraries(mnemo_protocol PUBLIC mnemo_base\n"
              "                      mnemo_db)\n")
        write("src/weird/x.cc", "\n")
        got = check(root)
        expected = [
            "include/mnemo/protocol/bad.h:2:",
            "src/net/bad.cc:2:",
            "src/mem/bad.cc:1:",
            "src/protocol/CMakeLists.txt:2:",
            "module 'weird' is not in the module table",
        ]
        ok = len(got) == len(expected) and all(any(e in g for g in got) for e in expected)
        for line in got:
            print(line)
        if not ok:
            print("self-test FAILED: expected exactly", expected)
            return 1
        print("self-test passed: every planted violation was reported")
        return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    problems = check(sys.argv[1])
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} include/link direction violation(s); see the module table in "
              "ARCHITECTURE.md")
        return 1
    print("includes and links follow the module table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
