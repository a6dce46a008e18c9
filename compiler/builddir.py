"""Build folders that are complete or absent, and the manifest that proves what they hold.

A build is made in a hidden sibling folder and renamed into place only when every artifact and
``report.json`` are written, so an interrupted compile leaves the previous build (or nothing),
never a mix. ``report.json`` records the SHA-256 of every other file; :func:`check_manifest`
names the files changed, added or missing since (docs/report.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: files of a build folder that are not artifacts of the build (written by later commands)
UNTRACKED = ("report.json", "verify.json", "synth.json")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove the hidden staging and set-aside siblings of ``out`` left by killed processes.

    Their names carry the pid of the process that made them (``.NAME.tmp-PID-*``, ``.NAME.old-PID-*``);
    folders of processes still running are kept, so two compiles into one folder do not collide.
    """
    removed = []
    for kind in ("tmp", "old"):
        for path in out.parent.glob(f".{out.name}.{kind}-*-*"):
            pid = path.name[len(f".{out.name}.{kind}-") :].split("-", 1)[0]
            if pid.isdigit() and path.is_dir() and not _process_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    if removed:
        log.info("removed %d staging folder(s) of killed builds next to %s", len(removed), out)
    return removed


def replace_folder(new: Path, out: Path) -> None:
    """Move folder ``new`` onto ``out``; an old ``out`` is moved aside first and then removed."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
        os.rename(new, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, out)


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty hidden sibling of ``out``; on success it replaces ``out``, on error it is removed.
    Siblings left by killed builds are removed first (:func:`remove_stale_staging`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, out)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _artifacts(build_dir: Path) -> list[Path]:
    return sorted(
        p for p in build_dir.rglob("*") if p.is_file() and p.relative_to(build_dir).as_posix() not in UNTRACKED
    )


def manifest(build_dir: Path) -> dict[str, str]:
    """SHA-256 of every artifact of ``build_dir``, keyed by its path relative to the folder."""
    return {p.relative_to(build_dir).as_posix(): _sha256(p) for p in _artifacts(build_dir)}


def check_manifest(build_dir: Path, recorded: dict[str, str]) -> list[str]:
    """Problems of ``build_dir`` against the ``recorded`` manifest: one line per changed, missing or
    unexpected file (empty when the folder holds exactly what was built)."""
    now = manifest(build_dir)
    problems = [f"{p}: missing" for p in sorted(set(recorded) - set(now))]
    problems += [f"{p}: not part of the build" for p in sorted(set(now) - set(recorded))]
    problems += [f"{p}: changed since compile" for p in sorted(set(now) & set(recorded)) if now[p] != recorded[p]]
    return problems
