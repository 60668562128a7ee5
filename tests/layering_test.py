#!/usr/bin/env python3
"""Checks that src/<layer> includes only headers of its own or lower layers (DESIGN.md).

CMake already refuses upward links between layer libraries; this catches the header-only
dependencies a link check cannot see, and third-party headers the consensus layer must not use.
"""
import pathlib
import re
import sys

LAYERS = ["util", "crypto", "primitives", "consensus", "storage", "contracts",
          "chain", "net", "rpc", "wallet", "node"]
# Libraries the consensus layer (and everything under it) must never see.
FORBIDDEN_BELOW_STORAGE = re.compile(r"#\s*include\s*[<\"](boost/|rocksdb/|nlohmann/|simdjson)")
INCLUDE = re.compile(r'#\s*include\s*"([a-z_]+)/')

root = pathlib.Path(sys.argv[1]) / "src"
errors = []
for path in sorted(root.rglob("*")):
    if path.suffix not in (".h", ".cpp"):
        continue
    layer = path.relative_to(root).parts[0]
    level = LAYERS.index(layer)
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = INCLUDE.match(line.strip())
        if m and m.group(1) in LAYERS and LAYERS.index(m.group(1)) > level:
            errors.append(f"{path}:{lineno}: layer '{layer}' includes higher layer '{m.group(1)}'")
        if level <= LAYERS.index("consensus") and FORBIDDEN_BELOW_STORAGE.search(line):
            errors.append(f"{path}:{lineno}: layer '{layer}' must not use Asio, RocksDB or JSON")
for e in errors:
    print(e)
print(f"layering: {len(errors)} violation(s)")
sys.exit(1 if errors else 0)
