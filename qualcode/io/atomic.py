"""``write_atomic``: every file qualcode writes goes to a temporary name beside it, then is renamed.

Permissions: reports and exports are meant to be shared, so they follow the user's umask
(as any program's files do; ``mkstemp`` alone would leave them 0600). What holds
interview text for qualcode's own use (the study database, the caches) is private:
``private_dir`` (0700) and ``private_file`` (0600), and ``write_atomic(..., private=True)``.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from qualcode.errors import OutputError


def current_umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, racing other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc (macOS): set and restore at once
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes, private: bool = False) -> None:
    """Write to a temporary file beside ``path``, then rename over it (never half a file).

    The file gets the mode the umask gives new files (0644 under umask 022), or 0600
    with ``private``."""
    path = Path(path)
    _check_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise _output_error(path, exc) from None
    try:
        os.fchmod(fd, 0o600 if private else 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _output_error(path, exc) from None
        raise


def _check_target(path: Path) -> None:
    """Refuse a target that is not a regular file (a folder, /dev/full, a FIFO, a symlink to
    one): renaming over it would replace the device node or fail half-way."""
    try:
        mode = path.stat().st_mode  # follows a symlink: what it points to counts
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _output_error(path, exc) from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise OutputError(f"{path}: expected a file to write (new or a regular file), got {kind}")


def _output_error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"{path}: expected a file that can be written, got {reason.lower()}")


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700: only its owner may enter."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):  # parents made here are private too (~/.cache/qualcode)
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    os.chmod(path, 0o700)
    return path


def private_file(path: str | Path) -> Path:
    """Create ``path`` empty if it does not exist, and make it 0600 (SQLite then gives its
    -wal, -shm and -journal files the same mode)."""
    path = Path(path)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return path
