"""How every file the tool writes by rename is created: the temp file (or folder) beside its target.

Owns the one rule for the modes of what is written: a file or folder is created as
`open()` and `mkdir()` create one, with mode 0666 (0777 for a folder) less the user's
umask, so a group of archivists sharing an archive (umask 002, a group-owned folder) can
each read and write what the others filed, and a folder's default ACL applies as it
would to any file made there. `tempfile.mkstemp` and `mkdtemp` create 0600 and 0700 (right
for secrets), and a rename keeps that mode, which left originals, captions, the catalog
and the sidecars readable by their writer alone.

Every atomic write (temp file, fsync, rename, folder fsync) is `files/atomic.py`'s, which
makes its temp file here; so does the BagIt export its temp folder (`exports/bag.py`).
No writer chooses a mode but the rewritten caption manifest, which keeps its dropper's.
`private=True` is for what belongs to the user alone (the search index in the user's
cache holds the catalog's text): 0600, as mkstemp.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

#: Attempts at an unused random name before giving up (mkstemp's figure).
_ATTEMPTS = 10000
#: The random part of a name: 8 of mkstemp's characters, so the patterns that recognise a
#: temp file left by a killed run (`ingest/recovery.py`, `discover.MANIFEST_TEMP`) match ours.
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def create_temp(folder: Path, prefix: str, suffix: str, *, private: bool = False) -> tuple[int, str]:
    """Create a new empty file `folder/<prefix><random><suffix>` and open it for writing.

    Like `tempfile.mkstemp` (same arguments' meaning, an `O_EXCL` create, the caller closes
    the descriptor and renames or removes the file), but with mode 0666 less the umask, or
    0600 when `private`. Returns (descriptor, path).

    Raises:
        OSError: the file could not be created (a full disk, a folder that cannot be written).
    """
    mode = 0o600 if private else 0o666
    for _ in range(_ATTEMPTS):
        name = os.path.join(folder, f"{prefix}{_random_part()}{suffix}")
        try:
            return os.open(name, _FLAGS, mode), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(folder))


def create_temp_dir(folder: Path, prefix: str, suffix: str) -> Path:
    """Create a new empty folder `folder/<prefix><random><suffix>` with mode 0777 less the umask.

    Raises:
        OSError: the folder could not be created.
    """
    for _ in range(_ATTEMPTS):
        path = folder / f"{prefix}{_random_part()}{suffix}"
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no unused temporary folder name", str(folder))


def _random_part() -> str:
    return "".join(secrets.choice(_LETTERS) for _ in range(8))
