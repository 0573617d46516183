"""Processes the tests start, and the check that none of them outlives its test.

Every process a test starts runs in a process group of its own (`start_new_session`), so it
is killed with everything it started in turn (a CLI's stand-in browser, a sandbox's
workers), whatever happened to the test: a timeout, a failed assertion, ctrl+c.

The test process also makes itself the "child subreaper" of everything below it (Linux
prctl): a grandchild whose parent died is handed to the test process rather than to init,
so `live_children` sees every survivor, however deep it was started.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
#: How long a process that was just killed may take to be gone before it counts as left.
EXIT_GRACE_SECONDS = 5.0


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux only; elsewhere the check sees direct children)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


@contextlib.contextmanager
def process_group(args: Sequence[str] | str, **options) -> Iterator[subprocess.Popen]:
    """`subprocess.Popen(args, **options)` as the leader of a new process group; on leaving
    the block the whole group is killed and the process reaped, whatever happened inside."""
    process = subprocess.Popen(args, start_new_session=True, **options)
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """Kill `process`'s group (it leads one), reap the process and close its pipes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def run_process(args: Sequence[str] | str, *, timeout: float, input: str | bytes | None = None,
                capture_output: bool = False, check: bool = False,
                **options) -> subprocess.CompletedProcess:
    """`subprocess.run` in a process group of its own, killed once the run is over: on a
    timeout the command and everything it started die, not only the command."""
    if capture_output:
        options.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if input is not None:
        options["stdin"] = subprocess.PIPE
    with process_group(args, **options) as process:
        out, err = process.communicate(input, timeout=timeout)
        returncode = process.poll()
    if check and returncode:
        raise subprocess.CalledProcessError(returncode, args, out, err)
    return subprocess.CompletedProcess(args, returncode, out, err)


def live_children() -> dict[int, str]:
    """This process's children still running (zombies are dead): pid -> command line."""
    children: dict[int, str] = {}
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        with contextlib.suppress(OSError):
            for pid in map(int, Path(path).read_text().split()):
                if _alive(pid):
                    children[pid] = _command_line(pid)
    return children


def survivors(known: set[int]) -> dict[int, str]:
    """Live children not in `known`, after giving any that are dying EXIT_GRACE_SECONDS."""
    deadline = time.monotonic() + EXIT_GRACE_SECONDS
    while (left := {p: c for p, c in live_children().items() if p not in known}) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_trees(pids: Sequence[int]) -> None:
    """SIGKILL each process and everything below it."""
    for pid in pids:
        kill_trees(_children_of(pid))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _children_of(pid: int) -> list[int]:
    found: list[int] = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        with contextlib.suppress(OSError):
            found.extend(map(int, Path(path).read_text().split()))
    return found


def _alive(pid: int) -> bool:
    """Whether `pid` runs: its state in /proc/PID/stat (after the command's parenthesis)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200]
