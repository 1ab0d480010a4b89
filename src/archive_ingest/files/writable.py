"""Whether this process may write in a folder, asked before a command writes there.

A command that must write (a catalog writer, an export's `--out`, the site's OUT_DIR)
asks first, so a read-only archive or output folder (a backup, a read-only mount, another
user's archive) is one line naming the folder and why, not an internal error half-way
through. The answer is the kernel's for this process (`os.access` with the effective ids:
root may write anywhere but on a read-only file system), and `statvfs` tells a read-only
file system from a folder this user may not write. It can be wrong on a network file
system that maps users on the server; callers still handle a refused write.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

#: What a refused write raises, as errno values: a folder this user may not write, or a
#: read-only file system.
REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def nearest_existing(path: Path) -> Path:
    """`path` made absolute if it exists, else the nearest of its folders that does."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def unwritable(folder: Path) -> str | None:
    """Why this process cannot create files in `folder` (or, while `folder` does not
    exist, in the nearest folder above it, where it would be created); None when it can.

    The reason names the folder: `/media/backup/archive is on a read-only file system`,
    `/srv/archive is not writable by this user`.
    """
    existing = nearest_existing(folder)
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if os.access(existing, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        return None
    try:
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return f"{existing} is on a read-only file system" if read_only else f"{existing} is not writable by this user"


def refused(exc: OSError) -> bool:
    """Whether `exc` is a write refused for want of permission or on a read-only file system."""
    return exc.errno in REFUSED
