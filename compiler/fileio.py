"""Atomic file output, output-folder checks and the run-folder lock shared by every writer of ldlgn.

A file is written to a temporary file in its destination folder and renamed onto its name, so an
interrupted run never leaves half a file behind. The result gets the mode an ordinary ``open``
would give it (``0o666`` less the umask), not the private mode of the temporary file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: the lock file :func:`lock_folder` holds inside a folder
LOCK_NAME = ".lock"
_UMASK_GUARD = threading.Lock()


def current_umask() -> int:
    """The process umask. Read from ``/proc`` where it can be (Linux), since the portable way
    (set it and put it back) briefly changes it for every thread of the process."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_GUARD:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path, write) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0o600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def check_output_dir(path) -> Path:
    """Refuse output folders that would overwrite something that is not ldlgn's: an existing file,
    the filesystem root or the home folder itself. Returns the path."""
    path = Path(path)
    resolved = path.expanduser().resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise ValueError(f"refusing to write outputs directly into {resolved}: give a folder of its own")
    if path.exists() and not path.is_dir():
        raise ValueError(f"output folder {path} exists and is not a folder")
    return path


@contextmanager
def lock_folder(path, user: str = "another ldlgn run") -> Iterator[Path]:
    """Hold an exclusive lock on the folder ``path`` (made if missing) for the ``with`` block.

    The lock is ``flock`` on ``path/.lock``, so it ends with its process: a lock file left by a
    run that crashed blocks nothing. The file itself stays, because deleting it would let two
    runs each lock a file of their own. A second holder is refused at once with a
    ``RuntimeError`` naming the folder, ``user`` and the process id written in the file (POSIX).
    """
    import fcntl

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise RuntimeError(
                f"{path} is in use by {user}{who}: wait for it to finish or use another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        os.close(fd)
