#!/usr/bin/env python3
"""The licences of every crate linked into the program, from the locked
dependency tree.

    python3 packaging/licences.py [--manifest-path Cargo.toml]
        [--target TRIPLE]... [--texts FILE] [--expression]

Walks `cargo tree` (normal dependencies only, without proc-macro crates,
whose code runs in the compiler and is not linked) for each target, finds
each crate's licence files (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*,
NOTICE*, UNLICENSE*, and the manifest's license-file) in its source folder,
and then:
  --texts FILE   writes every crate's name, version, licence expression and
                 licence texts to FILE (identical texts printed once);
  --expression   prints the SPDX expression covering the program: the
                 project's own Apache-2.0 AND each crate's expression,
                 with duplicates merged.
A crate whose licence text cannot be found is named and the script exits 1,
unless packaging/licences/<name>-<version>/ holds its text (for crates that
publish none in their package; that folder's README says where each came
from). Runs offline: cargo runs with --offline --locked.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OVERRIDES = os.path.join(HERE, "licences")
PROJECT_LICENCE = "Apache-2.0"
TEXT_NAMES = re.compile(r"^(LICEN[CS]E|COPYING|COPYRIGHT|NOTICE|UNLICENSE)", re.IGNORECASE)


def cargo(args, manifest):
    cmd = ["cargo", *args, "--offline", "--locked", "--manifest-path", manifest]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"licences.py: `{' '.join(cmd)}` failed (exit {run.returncode}):\n{run.stderr}")
    return run.stdout


def linked_crates(manifest, targets):
    """(name, version) of every crate linked into the program, any target."""
    root = json.loads(cargo(["metadata", "--format-version", "1", "--no-deps"], manifest))
    root_ids = {(p["name"], p["version"]) for p in root["packages"]}
    crates = set()
    for target in targets:
        out = cargo(
            ["tree", "--edges", "normal,no-proc-macro", "--target", target,
             "--prefix", "none", "--format", "{p}"],
            manifest,
        )
        for line in out.splitlines():
            m = re.match(r"^(\S+) v(\S+)", line)
            if m:
                crates.add((m.group(1), m.group(2)))
    return sorted(crates - root_ids)


def packages(manifest, targets):
    meta = json.loads(cargo(["metadata", "--format-version", "1"], manifest))
    return {(p["name"], p["version"]): p for p in meta["packages"]}


def texts_of(pkg):
    """The licence files of a crate: [(file name, text)]."""
    folder = os.path.dirname(pkg["manifest_path"])
    names = sorted(n for n in os.listdir(folder) if TEXT_NAMES.match(n) and os.path.isfile(os.path.join(folder, n)))
    if pkg.get("license_file"):
        extra = os.path.normpath(pkg["license_file"])
        if extra not in names and os.path.isfile(os.path.join(folder, extra)):
            names.append(extra)
    found = [(n, read(os.path.join(folder, n))) for n in names]
    if found:
        return found, "its package"
    override = os.path.join(OVERRIDES, f"{pkg['name']}-{pkg['version']}")
    if os.path.isdir(override):
        return [(n, read(os.path.join(override, n))) for n in sorted(os.listdir(override))], "packaging/licences"
    return [], None


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().strip("\n") + "\n"


def normalise(expr):
    """An SPDX expression from a Cargo licence field: the legacy `/` is OR."""
    expr = re.sub(r"\s*/\s*", " OR ", expr.strip())
    return re.sub(r"\s+", " ", expr)


def split_top(expr, word):
    """Split at top-level (outside parentheses) occurrences of ` word `."""
    parts, depth, start, i = [], 0, 0, 0
    token = f" {word} "
    while i < len(expr):
        c = expr[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and expr.startswith(token, i):
            parts.append(expr[start:i])
            i += len(token)
            start = i
            continue
        i += 1
    parts.append(expr[start:])
    return [p.strip() for p in parts]


def unwrap(term):
    while term.startswith("(") and term.endswith(")") and balanced(term[1:-1]):
        term = term[1:-1].strip()
    return term


def balanced(s):
    depth = 0
    for c in s:
        depth += c == "("
        depth -= c == ")"
        if depth < 0:
            return False
    return depth == 0


def terms(expr):
    """The AND-terms of an expression, each in one canonical spelling."""
    out = []
    for term in split_top(unwrap(normalise(expr)), "AND"):
        term = unwrap(term)
        alternatives = split_top(term, "OR")
        if len(alternatives) > 1:
            term = "(" + " OR ".join(sorted(set(unwrap(a) for a in alternatives))) + ")"
        out.append(term)
    return out


def combined(expressions):
    seen = set()
    for e in [PROJECT_LICENCE, *expressions]:
        seen.update(terms(e))
    return " AND ".join(sorted(seen, key=lambda t: (t.startswith("("), t)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest-path", default="Cargo.toml")
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--texts")
    ap.add_argument("--expression", action="store_true")
    a = ap.parse_args()
    targets = a.target or ["x86_64-unknown-linux-gnu"]

    crates = linked_crates(a.manifest_path, targets)
    pkgs = packages(a.manifest_path, targets)
    missing, entries = [], []
    for key in crates:
        pkg = pkgs.get(key)
        if pkg is None:
            missing.append(f"{key[0]} {key[1]}: not in cargo metadata")
            continue
        expr = pkg.get("license")
        found, where = texts_of(pkg)
        if not expr:
            missing.append(f"{key[0]} {key[1]}: no licence expression in its Cargo.toml")
        if not found:
            missing.append(f"{key[0]} {key[1]} ({expr}): no licence text in {os.path.dirname(pkg['manifest_path'])}"
                           f" nor in packaging/licences/{key[0]}-{key[1]}/")
        entries.append((key, normalise(expr or "NOASSERTION"), found, where))
    if missing:
        sys.exit("licences.py: licence texts missing for crates linked into the program:\n  " + "\n  ".join(missing))

    if a.texts:
        write_texts(a.texts, targets, entries)
    if a.expression:
        print(combined(e[1] for e in entries))


def write_texts(path, targets, entries):
    ids, bodies = {}, []
    for _, _, found, _ in entries:
        for _, text in found:
            h = hashlib.sha256(text.encode()).hexdigest()
            if h not in ids:
                ids[h] = f"T{len(ids) + 1}"
                bodies.append((ids[h], text))
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "Licences of the third-party crates linked into lkroute53\n"
            f"(targets: {', '.join(targets)}), generated from Cargo.lock by packaging/licences.py.\n"
            f"lkroute53 itself: {PROJECT_LICENCE} (see LICENSE).\n\n"
            f"{len(entries)} crates; each names its licence texts, printed once each below.\n\n"
        )
        for (name, version), expr, found, where in entries:
            refs = ", ".join(f"{n} [{ids[hashlib.sha256(t.encode()).hexdigest()]}]" for n, t in found)
            note = "" if where == "its package" else " (the crate publishes none; taken from its source repository)"
            f.write(f"{name} {version}: {expr}: {refs}{note}\n")
        for ident, text in bodies:
            f.write(f"\n{'=' * 72}\n[{ident}]\n{'=' * 72}\n{text}")


if __name__ == "__main__":
    main()
