"""Real storage faults for tests, with no root needed: a full disk (a small tmpfs), a read-only
folder (a read-only bind mount) and a second user of a shared install (a user namespace, in
which this process's capabilities no longer apply to files on disk).

``run_in_namespace`` runs this file inside ``unshare``; there it mounts what the plan asks for,
copies the seed folders in, fills the disk, runs each `advisor` command in turn and writes their
results as JSON to a file outside the mounts. Mounts vanish with the namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def _unshare(*flags: str) -> list[str]:
    """The unshare prefix, or skip the test where the system allows no namespaces."""
    command = ["unshare", *flags]
    if shutil.which("unshare") is None or subprocess.run([*command, "true"], capture_output=True).returncode:
        pytest.skip(f"needs `{' '.join(command)}` (namespaces are not available here)")
    return command


def run_in_namespace(plan: dict[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """Run ``plan`` (see ``main``) in a mount namespace; one dict (rc, stdout, stderr) per command."""
    flags = ["--mount"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--mount"]
    spec, out = workdir / "plan.json", workdir / "results.json"
    spec.write_text(json.dumps(plan | {"results": str(out)}))
    done = subprocess.run([*_unshare(*flags), sys.executable, __file__, str(spec)], capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(out.read_text())


def as_another_user(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``command`` as a user who owns none of the files: in a new user namespace this process keeps
    its user and group ids on disk but loses every capability over files, root's included."""
    if os.geteuid() != 0:
        pytest.skip("simulating a second user needs root, to give the files to another owner")
    return subprocess.run([*_unshare("--user"), *command], capture_output=True, env=env, timeout=600)


def main(spec_path: str) -> None:
    """In the namespace. The plan: "mounts" (each {"path", "tmpfs": size, "seed": folder to copy in,
    "fill": true} or {"path", "read_only": true}), "env", and "commands": lists of advisor arguments,
    or "free" to delete the filler (free the disk) before the next command."""
    plan = json.loads(Path(spec_path).read_text())
    for mount in plan["mounts"]:
        path = mount["path"]
        if "tmpfs" in mount:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mount['tmpfs']}", "tmpfs", path], check=True)
            if mount.get("seed"):
                shutil.copytree(mount["seed"], path, dirs_exist_ok=True)
            if mount.get("fill"):
                _fill(Path(path) / "filler")
        if mount.get("read_only"):
            subprocess.run(["mount", "--bind", path, path], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", path], check=True)
    results = []
    env = os.environ | plan.get("env", {})
    for command in plan["commands"]:
        if command == "free":
            for mount in plan["mounts"]:
                Path(mount["path"], "filler").unlink(missing_ok=True)
            continue
        done = subprocess.run([sys.executable, "-m", "advisor.cli", *command], capture_output=True, env=env)
        results.append({"rc": done.returncode, "stdout": done.stdout.decode(), "stderr": done.stderr.decode()})
    Path(plan["results"]).write_text(json.dumps(results))


def _fill(path: Path) -> None:
    """Write until the disk is full (unbuffered, so the error comes here and nothing is left to flush)."""
    with open(path, "wb", buffering=0) as out:
        for size in (65536, 512, 1):
            try:
                while out.write(b"\0" * size):
                    pass
            except OSError:
                pass


if __name__ == "__main__":
    main(sys.argv[1])
