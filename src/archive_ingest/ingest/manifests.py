"""What becomes of a caption manifest (`captions.csv`) in the inbox as its rows are used.

Owns: keeping every manifest row in the inbox until its image is archived, so a caption
is never separated from its image. A row may name an image that comes later (the list
sent before the photos); it waits, exactly as a `.txt` caption with no image does.

After each catalog commit, the rows whose images that commit archived leave the
manifest in the inbox:

- before the manifest as dropped is first changed, its bytes are filed as any caption
  file is (`archive/captions/ab/<sha256>.csv`, bit for bit), so every row it held, used,
  waiting or ignored, stays on record;
- while rows still wait, the manifest is replaced (a temp file, fsync, rename) by one
  holding its header and the waiting rows only, in the encoding and line endings it came
  in. A later run pairs those rows with their images when they come and files that
  manifest in turn: other bytes, so another file, holding only rows no earlier record used;
- when no row waits, the manifest leaves the inbox.

A manifest none of whose rows was used this run is left as it was dropped; so is one
with no usable row at all (a header alone, every row ignored: `discover` warns).

Crash safety: this runs after the catalog commit and before the images leave the inbox
(`pipeline`), so a run killed in between leaves those images in the inbox, with or
without their rows; the next run recognises them as already archived and takes their
rows out then. A temp file left by a kill is removed by the next run (`discover`
reports it). A manifest someone changed during the run is left alone, with a warning.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..files.atomic import write_atomic
from ..record import sha256_of_bytes
from .context import RunContext
from .drops import Caption, Manifest
from .stages import file
from .stages.discover import MANIFEST_TEMP_SUFFIX
from .stages.fixity import sha256_of_file

log = logging.getLogger(__name__)

#: Names of waiting images listed in a note; the rest are counted.
_NAMES_SHOWN = 5


@dataclass
class _State:
    manifest: Manifest
    waiting: list[tuple[str, list[str]]]
    """(image, cells) of the rows whose image is not archived yet."""
    sha256: str
    """SHA-256 of the manifest now in the inbox: as dropped, or as last written here."""
    filed: str | None = None
    """Archive path of the manifest as dropped, once filed."""
    used: set[str] = field(default_factory=set)
    """Images archived this run whose rows are still to be taken out."""
    changed: bool = False
    """The inbox copy was rewritten or removed this run."""
    left_alone: bool = False
    """Something went wrong with it: not touched again this run."""


class ManifestRows:
    """The run's manifests and which of their rows wait; see the module docstring."""

    def __init__(self, ctx: RunContext, manifests: dict[str, Manifest]) -> None:
        self.ctx = ctx
        self._states = [_State(m, list(m.rows), m.sha256) for m in manifests.values()]
        self._by_image: dict[str, list[_State]] = {}
        for state in self._states:
            for image in state.manifest.images():
                self._by_image.setdefault(image, []).append(state)

    def use(self, image: str) -> None:
        """`image` is archived by the batch being built: its rows go at the next `settle`."""
        for state in self._by_image.get(image, ()):
            state.used.add(image)

    def settle(self) -> list[str]:
        """Take the rows of the images just committed out of the inbox's manifests.

        Call after the catalog commit and before those images are removed from the inbox.
        Returns a line per problem (a manifest that could not be filed or rewritten: it
        stays as it is, and so do all its rows).
        """
        problems: list[str] = []
        for state in self._states:
            if not state.used or state.left_alone:
                continue
            try:
                self._settle_one(state)
            except (OSError, UnicodeEncodeError) as exc:
                state.left_alone = True
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                problems.append(
                    f"{state.manifest.file}: its rows for archived images could not be taken out ({reason}); "
                    "left in the inbox as it is"
                )
        return problems

    def notes(self) -> list[str]:
        """A line per manifest changed this run: filed, and what it keeps in the inbox."""
        notes: list[str] = []
        for state in self._states:
            name = state.manifest.file
            if state.left_alone and state.filed:
                notes.append(f"{name}: filed as {state.filed}")  # a problem says what stays
            elif not state.changed:
                continue
            elif not state.waiting:
                notes.append(f"{name}: every image it names is archived; filed as {state.filed}")
            else:
                images = [image for image, _ in state.waiting]
                shown = ", ".join(images[:_NAMES_SHOWN])
                if len(images) > _NAMES_SHOWN:
                    shown += f" and {len(images) - _NAMES_SHOWN} more"
                rows = "row whose image is" if len(images) == 1 else "rows whose images are"
                notes.append(
                    f"{name}: filed as {state.filed}; the inbox copy keeps only the {len(images)} "
                    f"{rows} not archived yet ({shown})"
                )
        return notes

    def _settle_one(self, state: _State) -> None:
        """Raises OSError (FilingError: the copy; or the inbox write), UnicodeEncodeError."""
        manifest = state.manifest
        path = self.ctx.inbox / manifest.file
        if state.filed is None:
            state.filed = self._file_as_dropped(state)
        if sha256_of_file(path)[0] != state.sha256:
            raise OSError("someone changed it during the run")
        waiting = [(image, cells) for image, cells in state.waiting if image not in state.used]
        if waiting:
            data = manifest.to_bytes(waiting)
            _write_atomic(path, data)
            state.sha256 = sha256_of_bytes(data)
        else:
            path.unlink()
        state.waiting, state.changed = waiting, True
        state.used.clear()

    def _file_as_dropped(self, state: _State) -> str:
        """File the manifest's bytes as read this run (verified against their SHA-256)."""
        manifest = state.manifest
        return file.file_caption(
            Caption(text="", file=manifest.file, encoding=manifest.encoding, sha256=manifest.sha256, kind="manifest"),
            self.ctx,
        )


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` through a hidden temp file beside it (`files/atomic.py`:
    `.<name>.<random>.waiting.tmp`), keeping its mode.

    The manifest is the dropper's file, rewritten in place: it keeps the mode it came
    with, as it keeps its encoding.

    Raises:
        OSError: the temp file could not be written or renamed (none is left; Ctrl-C too:
            the manifest stays whole).
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    write_atomic(path, data, suffix=MANIFEST_TEMP_SUFFIX, mode=mode)
    log.info("%s: rows of archived images taken out", path)
