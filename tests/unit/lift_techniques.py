#!/usr/bin/env python3
"""Lifts each technique out of the tree, as a developer copying it would.

For each technique folder of compositor/, copies it and compositor/helpers/
into an empty directory, then compiles every source there, and every header
on its own, with only those folders (and the generated headers it needs) on
the include path and the system's libraries (pkg-config). Fails, naming the
file, when a technique reaches for anything else.

lift_techniques.py TOP CXX TECHNIQUE...

where each TECHNIQUE is NAME followed by the paths of the generated headers
it needs, colon-separated (compositor/meson.build).
"""

import concurrent.futures
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

PACKAGES = ["wlroots-0.20", "wayland-server", "pixman-1", "libdrm", "egl", "glesv2"]
FLAGS = ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-DWLR_USE_UNSTABLE"]


def compile_one(command):
    result = subprocess.run(command, capture_output=True, text=True)
    return command[-1], result.returncode, result.stderr


def lift(top, cxx, spec, work):
    technique, *headers = spec.split(":")
    lifted = os.path.join(work, technique)
    copied = list(dict.fromkeys([technique, "helpers"]))
    include = []
    for folder in copied:
        shutil.copytree(os.path.join(top, "compositor", folder), os.path.join(lifted, folder))
        include.append(os.path.join(lifted, folder))
    if headers:
        os.makedirs(os.path.join(lifted, "generated"))
        for header in headers:
            shutil.copy(header, os.path.join(lifted, "generated"))
        include.append(os.path.join(lifted, "generated"))
    pkg_flags = shlex.split(
        subprocess.run(["pkg-config", "--cflags", *PACKAGES], check=True, capture_output=True,
                       text=True).stdout)
    base = cxx + FLAGS + pkg_flags + [f"-I{path}" for path in include]

    own = os.path.join(lifted, technique)
    units = []
    for name in sorted(os.listdir(own)):
        path = os.path.join(own, name)
        if name.endswith(".cpp"):
            units.append(path)
        elif name.endswith(".hpp"):
            # Each header on its own: it includes what it uses.
            alone = os.path.join(lifted, "alone", name + ".cpp")
            os.makedirs(os.path.dirname(alone), exist_ok=True)
            with open(alone, "w") as out:
                out.write(f'#include "{name}"\n')
            units.append(alone)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(compile_one, [base + [unit] for unit in units]))
    failed = [(unit, errors) for unit, code, errors in results if code != 0]
    for unit, errors in failed:
        print(f"{technique}: {os.path.relpath(unit, lifted)} does not build lifted:\n{errors}")
    print(f"{technique}: {len(units) - len(failed)} of {len(units)} files build with "
          f"{', '.join(copied + [os.path.basename(header) for header in headers])} alone")
    return not failed


def main():
    top, cxx, *specs = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="fencecam-lift-") as work:
        ok = [lift(top, shlex.split(cxx), spec, work) for spec in specs]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
