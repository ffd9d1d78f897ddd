"""Atomic file writes: readers (and a crash) see the old file or the new one, never half of one.

``with atomic_file(path) as fh: fh.write(...)`` writes a temporary file in the same folder, flushes and
fsyncs it, and ``os.replace``-s it over ``path`` only if the block finishes; on any exception the temporary
file is removed and ``path`` is untouched. A new file gets ``0o666 & ~umask`` like a plain ``open``; a
replaced file keeps its permissions.
"""
from __future__ import annotations

import contextlib
import os
import secrets


@contextlib.contextmanager
def atomic_file(path, mode: str = "wb"):
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": "\n"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomically(path, data) -> None:
    """Write ``str`` (UTF-8) or ``bytes`` to ``path`` atomically."""
    with atomic_file(path, "w" if isinstance(data, str) else "wb") as fh:
        fh.write(data)
