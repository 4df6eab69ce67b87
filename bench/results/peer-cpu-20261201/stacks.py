"""Summarise py-spy's raw (collapsed) stacks: share of samples by self file, and inclusive
share of chosen functions/modules. Usage: python stacks.py FILE.collapsed [TOP]"""

from __future__ import annotations

import collections
import re
import sys

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")


def short(path: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", "/pycpu-base/", "/pycpu/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main() -> None:
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    self_file: collections.Counter[str] = collections.Counter()
    incl_func: collections.Counter[str] = collections.Counter()
    incl_pkg: collections.Counter[str] = collections.Counter()
    total = 0
    for line in open(path):
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        count = int(count_text)
        total += count
        frames = []
        for raw in stack.split(";"):
            m = FRAME.match(raw)
            frames.append((m["func"], short(m["file"])) if m else (raw, "?"))
        if not frames:
            continue
        self_file[frames[-1][1]] += count
        seen_f, seen_p = set(), set()
        for func, file in frames:
            key = f"{file}:{func}"
            if key not in seen_f:
                seen_f.add(key)
                incl_func[key] += count
            pkg = file.split("/", 1)[0]
            if pkg not in seen_p:
                seen_p.add(pkg)
                incl_pkg[pkg] += count
    print(f"samples: {total}")
    print("\n-- self time by file --")
    for key, n in self_file.most_common(top):
        print(f"{100 * n / total:5.1f}%  {key}")
    print("\n-- inclusive by top-level package/dir --")
    for key, n in incl_pkg.most_common(top):
        print(f"{100 * n / total:5.1f}%  {key}")
    print("\n-- inclusive by function --")
    for key, n in incl_func.most_common(top * 2):
        print(f"{100 * n / total:5.1f}%  {key}")


if __name__ == "__main__":
    main()
