#!/usr/bin/env python3
"""Checks contracts built with the SDK (docs/contracts.md §9-§11).

usage: check_contracts.py [--objdump PATH] [--validate PATH] ABI.json WASM [ABI.json WASM ...]

For each pair: the ABI JSON parses and has the fields and types of §10 (methods, events,
structs, constructor); and, with wabt's tools, the module validates without bulk memory and
reference types, exports exactly `memory` plus the ABI's methods (and `init` for a
constructor), imports only from module `cairn`, declares at most 32 pages of memory, and
contains no floating-point or bulk-memory instruction (§4). Exit 0 when all pass.
"""
import argparse
import json
import re
import subprocess
import sys

METHOD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
EVENT_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BUILTIN_TYPES = {"u8", "u16", "u32", "u64", "i32", "i64", "bool", "bytes", "string", "account", "hash"}
MAX_PAGES = 32
FORBIDDEN_OPS = re.compile(r"\|\s*(f32\.|f64\.|memory\.(copy|fill|init)|data\.drop|[if](32|64)\.trunc_sat)")


class Failure(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failure(message)


def check_type(t, structs, where):
    expect(isinstance(t, str), f"{where}: type must be a string")
    m = re.fullmatch(r"list<(.+)>", t)
    if m:
        check_type(m.group(1), structs, where)
        return
    expect(t in BUILTIN_TYPES or t in structs, f"{where}: unknown type {t!r}")


def check_params(params, structs, where, indexed):
    expect(isinstance(params, list), f"{where}: must be a list")
    names = set()
    for i, p in enumerate(params):
        w = f"{where}[{i}]"
        expect(isinstance(p, dict), f"{w}: must be an object")
        expect(isinstance(p.get("name"), str) and FIELD_NAME.match(p["name"]), f"{w}: bad name")
        expect(p["name"] not in names, f"{w}: duplicate name {p['name']}")
        names.add(p["name"])
        check_type(p.get("type"), structs, w)
        if indexed:
            expect(isinstance(p.get("indexed"), bool), f"{w}: indexed must be a bool")
    if indexed:
        expect(sum(1 for p in params if p["indexed"]) <= 3, f"{where}: more than 3 indexed fields")


def check_abi(abi, expected_name):
    expect(isinstance(abi, dict), "the ABI must be an object")
    expect(abi.get("abi_version") == 1, "abi_version must be 1")
    expect(abi.get("name") == expected_name, f"name must be {expected_name!r}")
    structs = abi.get("structs")
    expect(isinstance(structs, list), "structs must be a list")
    struct_names = {s.get("name") for s in structs if isinstance(s, dict)}
    expect(len(struct_names) == len(structs), "structs: duplicate or missing names")
    for i, s in enumerate(structs):
        expect(isinstance(s["name"], str) and FIELD_NAME.match(s["name"]), f"structs[{i}]: bad name")
        check_params(s.get("fields"), struct_names, f"structs[{i}].fields", False)
    ctor = abi.get("constructor", "missing")
    expect(ctor != "missing", "constructor is required (null when there is none)")
    if ctor is not None:
        expect(isinstance(ctor, dict), "constructor must be an object or null")
        check_params(ctor.get("inputs"), struct_names, "constructor.inputs", False)
        expect(ctor.get("payable") is True, "constructor.payable must be true")
    methods = abi.get("methods")
    expect(isinstance(methods, list) and methods, "methods must be a non-empty list")
    seen = set()
    for i, m in enumerate(methods):
        w = f"methods[{i}]"
        expect(isinstance(m, dict), f"{w}: must be an object")
        name = m.get("name")
        expect(isinstance(name, str) and METHOD_NAME.match(name), f"{w}: bad method name {name!r}")
        expect(name != "init" and not name.startswith("cairn_") and name != "memory", f"{w}: reserved name {name}")
        expect(name not in seen, f"{w}: duplicate method {name}")
        seen.add(name)
        expect(isinstance(m.get("readonly"), bool), f"{w}: readonly must be a bool")
        expect(isinstance(m.get("payable"), bool), f"{w}: payable must be a bool")
        expect(not (m["readonly"] and m["payable"]), f"{w}: a read-only method cannot be payable")
        check_params(m.get("inputs"), struct_names, f"{w}.inputs", False)
        expect("output" in m, f"{w}: output is required (null for none)")
        if m["output"] is not None:
            check_type(m["output"], struct_names, f"{w}.output")
    events = abi.get("events")
    expect(isinstance(events, list), "events must be a list")
    ids = set()
    for i, e in enumerate(events):
        w = f"events[{i}]"
        expect(isinstance(e, dict), f"{w}: must be an object")
        expect(isinstance(e.get("name"), str) and EVENT_NAME.match(e["name"]), f"{w}: bad event name")
        expect(isinstance(e.get("id"), str) and re.fullmatch(r"[0-9a-f]{64}", e["id"]), f"{w}: id must be 64 hex digits")
        expect(e["id"] not in ids, f"{w}: duplicate event id")
        ids.add(e["id"])
        check_params(e.get("fields"), struct_names, f"{w}.fields", True)
    return seen


def check_wasm(wasm, abi, methods, objdump, validate):
    if validate:
        r = subprocess.run([validate, "--disable-bulk-memory", "--disable-reference-types", wasm],
                           capture_output=True, text=True)
        expect(r.returncode == 0, f"wasm-validate: {r.stderr.strip()}")
    if not objdump:
        return
    details = subprocess.run([objdump, "-x", wasm], capture_output=True, text=True, check=True).stdout
    exports = set(re.findall(r'-> "([^"]+)"', details))
    wanted = set(methods) | {"memory"} | ({"init"} if abi["constructor"] is not None else set())
    expect(exports == wanted, f"exports {sorted(exports)} differ from the ABI's {sorted(wanted)}")
    for module in re.findall(r"<- ([^.\s]+)\.", details):
        expect(module == "cairn", f"import from module {module!r}")
    mem = re.search(r"pages: initial=(\d+)(?: max=(\d+))?", details)
    expect(mem is not None, "no memory")
    expect(int(mem.group(1)) <= MAX_PAGES, "initial memory above 32 pages")
    expect(mem.group(2) is not None and int(mem.group(2)) <= MAX_PAGES, "maximum memory missing or above 32 pages")
    code = subprocess.run([objdump, "-d", wasm], capture_output=True, text=True, check=True).stdout
    bad = FORBIDDEN_OPS.search(code)
    expect(bad is None, f"forbidden instruction: {bad.group(0) if bad else ''}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objdump", default="")
    parser.add_argument("--validate", default="")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    if len(args.files) % 2 != 0:
        parser.error("give ABI.json WASM pairs")
    failures = 0
    for abi_path, wasm_path in zip(args.files[0::2], args.files[1::2]):
        name = re.sub(r"\.abi\.json$", "", abi_path.rsplit("/", 1)[-1])
        try:
            with open(abi_path, encoding="utf-8") as f:
                abi = json.load(f)
            methods = check_abi(abi, name)
            check_wasm(wasm_path, abi, methods, args.objdump, args.validate)
            print(f"ok {name}: {len(methods)} methods, {len(abi['events'])} events")
        except (Failure, json.JSONDecodeError, OSError, subprocess.CalledProcessError) as e:
            print(f"FAIL {name}: {e}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
