"""Where an archive lives: find its `pipeline.yaml`, load it into typed settings, make a new one.

An archive is the folder holding a `pipeline.yaml`. Commands look for one in the current
folder, then in each folder above it, as git looks for `.git` (`find_config`), and refuse
when there is none: a mistyped folder must not look like an empty archive. Paths in the
file are relative to the folder that holds it, so a command works from any subfolder.
`init_archive` makes a new archive from the template shipped in the package
(`data/pipeline.yaml`, every key commented; the repository's `pipeline.yaml` links to it).

Every section is a frozen `msgspec.Struct` that forbids unknown fields, so a misspelt key
fails at load time, before any file moves, instead of deep inside a batch; the problem is
one line naming the file and the key, in msgspec's own words (`_one_line`). msgspec imports
in about 6 ms, which every command pays (issue 13, item 14).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec
import yaml
from msgspec import Meta, field
from msgspec.structs import force_setattr

from .errors import ConfigError

#: PyYAML's safe loader in C (libyaml, in PyYAML's wheels) where there is one: it reads
#: pipeline.yaml and the gazetteer in 2 ms instead of 20-40 ms, on every command.
_FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, by libyaml when it can.

    Raises:
        yaml.YAMLError: as the pure-Python loader words it (the file is read again by it
            to say what is wrong: its messages name the token it expected).
    """
    try:
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


CONFIG_FILENAME = "pipeline.yaml"
INBOX_DIRNAME = "inbox"
ARCHIVE_DIRNAME = "archive"

#: Every stage the pipeline knows, in the order a sensible pipeline runs them.
#: `ingest/pipeline.py` maps each name to its module; `fixity` must come first (nothing is
#: read before the bytes are hashed) and `file` last (nothing changes after filing).
KNOWN_STAGES = ("fixity", "identify", "similar", "exif", "ocr", "extract", "provenance", "flags", "access", "file")
DEFAULT_STAGES = list(KNOWN_STAGES)

DEFAULT_EXTENSIONS = [
    ".jpg",
    ".jpeg",
    ".png",
    ".tif",
    ".tiff",
    ".webp",
    ".heic",
    ".heif",
    ".avif",
    # Not read, but picked up so that they are quarantined with a reason naming what would
    # read them (ingest/stages/identify.py), never left in the inbox unexplained.
    ".jxl",
    *(".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".rw2", ".raf"),
]


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A section of `pipeline.yaml`: unknown keys refused, never changed once made.

    Each section says `frozen=True` again, which msgspec does not need but type checkers do
    (they take a subclass of a frozen class without it as a mutable one).
    """


class PathSettings(_Section, frozen=True):
    inbox: Path = Path("inbox")
    archive: Path = Path("archive")
    catalog: Path = Path("archive/catalog.json")


class _BadKey(ValueError):
    """A `__post_init__` check that failed on one key: msgspec's message names only the section."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _dotted_extensions(value: list[str]) -> list[str]:
    """`discover.extensions`, lowercased; each must start with a dot."""
    for ext in value:
        if not ext.startswith("."):
            raise _BadKey("extensions", f"extension {ext!r} must start with a dot")
    return [ext.lower() for ext in value]


class DiscoverSettings(_Section, frozen=True):
    extensions: list[str] = field(default_factory=lambda: list(DEFAULT_EXTENSIONS))
    manifest: str = "captions.csv"
    max_caption_bytes: Annotated[int, Meta(ge=1)] = 1_000_000

    def __post_init__(self) -> None:
        force_setattr(self, "extensions", _dotted_extensions(self.extensions))


class PageSettings(_Section, frozen=True):
    """Saved web pages in the inbox (`ingest/pages.py`): their pictures and captions."""

    max_bytes: Annotated[int, Meta(ge=1)] = 8_000_000
    """A larger `.html` is not read (left in the inbox, reported)."""
    max_pictures: Annotated[int, Meta(ge=1)] = 500
    """Pictures read from one page; the rest are counted in one line."""
    quote_credit: str | None = None
    """Whom the words a page's caption quotes are credited to; null: `provenance.credit`."""
    commentary_credit: str | None = None
    """Whom the rest of the caption (the page author's words) is credited to; null: `provenance.commentary`."""


class IdentifySettings(_Section, frozen=True):
    max_image_pixels: Annotated[int, Meta(ge=1)] = 150_000_000


class SimilarSettings(_Section, frozen=True):
    """Near duplicates (`ingest/stages/similar.py`); the thresholds are measured by `benchmarks/near_duplicates.py`."""

    phash_max_distance: Annotated[int, Meta(ge=0, le=64)] = 18
    """Pairs within this many pHash bits (of 64) are candidates, confirmed on the pixels."""
    confirm_min_score: Annotated[float, Meta(ge=0, le=1)] = 0.85
    """Pixel match (worst tile's agreement after alignment, 0-1) from which a candidate is confirmed."""
    max_candidates: Annotated[int, Meta(ge=1)] = 10
    """Candidates compared per new photo, nearest first; the rest are only named in the event."""


class OcrSettings(_Section, frozen=True):
    """How the OCR stage reads an inscription (see `reading/reader.py` for the plans)."""

    engine: Literal["auto", "pytesseract", "tesserocr"] = "auto"
    """The tesseract engine. auto: tesserocr (models kept loaded) when it is installed and
    loads the languages, else pytesseract (one tesseract process per call)."""
    line_engine: Literal["auto", "rapidocr", "none"] = "auto"
    """Finds the text lines and reads their digits (`reading/plan_lines.py`). auto: rapidocr
    when it is installed, else none; none: tesseract alone reads (`reading/plan_survey.py`)."""
    languages: Annotated[list[str], Meta(min_length=1)] = field(default_factory=lambda: ["rus", "kor", "eng"])
    psm: Annotated[int, Meta(ge=3, le=13)] = 6
    """Survey plan: page segmentation mode of the first candidates (read with and without binarising)."""
    extra_psms: list[Annotated[int, Meta(ge=3, le=13)]] = field(default_factory=lambda: [11])
    """Survey plan: further modes tried on the flattened crop."""
    timeout_seconds: Annotated[float, Meta(gt=0)] = 120.0
    """A single tesseract call running longer is stopped (the record gets `ocr_failed`)."""
    time_budget_seconds: float | None = None
    """Ignored, kept so older pipeline.yaml files still load: reading no longer depends on
    the clock (the same bytes and settings give the same record on a busy machine)."""
    max_long_edge: Annotated[int, Meta(ge=200)] = 2000
    survey_language: str = "rus"
    """Survey plan: the one fast language of the survey that finds the inscription and its rotation."""
    survey_long_edge: Annotated[int, Meta(ge=200)] = 1000
    detect_long_edge: Annotated[int, Meta(ge=320, le=4000)] = 960
    """Line plan: the detector reads a copy of the page this big (long edge, pixels)."""
    max_lines: Annotated[int, Meta(ge=1, le=100)] = 12
    """Line plan: at most this many lines of the inscription are read (the largest)."""
    sweep: bool = True
    """Find the rotation when EXIF names none (both plans; see their docstrings)."""
    letter_px: Annotated[int, Meta(ge=10, le=200)] = 40
    """Letter height (pixels) the inscription is scaled to before tesseract reads it."""
    min_word_confidence: Annotated[float, Meta(ge=0, le=100)] = 40.0
    """Words read with less confidence stay in the word list but not in `ocr.text`."""


class FlagSettings(_Section, frozen=True):
    ocr_low_confidence_below: Annotated[float, Meta(ge=0, le=100)] = 60.0
    ocr_kinds: list[str] = field(default_factory=lambda: ["headstone", "monument"])


class ProvenanceSettings(_Section, frozen=True):
    credit: str = "Russian Embassy in Pyongyang"
    rights: str = "All photos are the property of the Russian Embassy in Pyongyang."
    source: str = "Photo series published by the Russian Embassy in Pyongyang (@RusEmbDPRK)"
    commentary: str | None = "Koryo Tours"


class AccessSettings(_Section, frozen=True):
    """Access copies (`ingest/stages/access.py`): the JPEGs that may leave the archive, credit embedded.

    The originals are never touched; these sizes only decide what is derived from them.
    """

    long_edge: Annotated[int, Meta(ge=64, le=20_000)] = 1600
    """Long edge in pixels of the access copy (a smaller original is not enlarged)."""
    thumbnail_edge: Annotated[int, Meta(ge=16, le=2000)] = 320
    """Long edge in pixels of the thumbnail."""
    quality: Annotated[int, Meta(ge=1, le=95)] = 85
    """JPEG quality of both (above 95 Pillow's encoder only grows the file)."""

    def __post_init__(self) -> None:
        if self.thumbnail_edge > self.long_edge:
            raise ValueError(f"thumbnail_edge {self.thumbnail_edge} is larger than long_edge {self.long_edge}")


class CatalogSettings(_Section, frozen=True):
    batch_size: Annotated[int, Meta(ge=1, le=10_000)] = 25


class WatchSettings(_Section, frozen=True):
    """`run --watch` (`ingest/watch.py`): when a file dropped in the inbox is taken."""

    settle_seconds: Annotated[float, Meta(gt=0, le=3600)] = 5.0
    """A file is taken once its size and mtime have not changed for this long."""
    poll: bool = False
    """Look at the inbox every moment instead of waiting for the system's file events
    (network shares, which send none); chosen anyway when the events cannot be had."""


class ExecutorSettings(_Section, frozen=True):
    """Where the per-file stages run (`ingest/workers.py`, `ingest/dask_executor.py`)."""

    kind: Literal["local", "dask"] = "local"
    """local: worker processes on this machine (`run --workers`); dask: the workers of a
    Dask cluster (`run --executor dask`, needs `pip install 'archive-ingest[dask]'`)."""
    scheduler: str | None = None
    """The Dask scheduler's address, `tcp://HOST:8786`; needed with kind dask."""
    connect_timeout_seconds: Annotated[float, Meta(gt=0, le=600)] = 10.0
    """How long to try to reach the scheduler (and wait for a worker) before giving up."""

    def __post_init__(self) -> None:
        if self.kind == "dask" and not self.scheduler:
            raise _BadKey("scheduler", "needed with kind dask: the scheduler's address, e.g. tcp://HOST:8786")


class PlaceSettings(_Section, frozen=True):
    gazetteer: Path | None = None
    gps_max_km: Annotated[float, Meta(gt=0)] = 5.0
    gps_conflict_km: Annotated[float, Meta(gt=0)] = 25.0


def _known_stages(value: list[str]) -> list[str]:
    """`stages`: known names, each once, `fixity` first and `file` last."""
    for name in value:
        if name not in KNOWN_STAGES:
            raise _BadKey("stages", f"unknown stage {name!r} (known: {', '.join(KNOWN_STAGES)})")
    if len(set(value)) != len(value):
        raise _BadKey("stages", "a stage is listed twice")
    if not value or value[0] != "fixity":
        raise _BadKey("stages", "the first stage must be 'fixity' (hash before anything else)")
    if value[-1] != "file":
        raise _BadKey("stages", "the last stage must be 'file' (nothing changes after filing)")
    return value


class Settings(_Section, frozen=True):
    """The whole of `pipeline.yaml`, with paths made absolute against its folder."""

    paths: PathSettings = field(default_factory=PathSettings)
    stages: list[str] = field(default_factory=lambda: list(DEFAULT_STAGES))
    discover: DiscoverSettings = field(default_factory=DiscoverSettings)
    pages: PageSettings = field(default_factory=PageSettings)
    identify: IdentifySettings = field(default_factory=IdentifySettings)
    similar: SimilarSettings = field(default_factory=SimilarSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    flags: FlagSettings = field(default_factory=FlagSettings)
    provenance: ProvenanceSettings = field(default_factory=ProvenanceSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    places: PlaceSettings = field(default_factory=PlaceSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)

    def __post_init__(self) -> None:
        _known_stages(self.stages)


def find_config(start: Path | None = None) -> Path:
    """The `pipeline.yaml` of the archive `start` is in: in `start` or the nearest folder above.

    Args:
        start: the folder to look in first; default the current folder.

    Raises:
        ConfigError: no folder from `start` up to the root holds one.
    """
    try:
        folder = (Path.cwd() if start is None else start).absolute()
    except OSError as exc:  # the current folder was removed under the shell
        raise ConfigError(f"cannot tell the current folder: {exc.strerror or exc}") from exc
    for candidate in (folder, *folder.parents):
        if _is_file(candidate / CONFIG_FILENAME):
            return candidate / CONFIG_FILENAME
    raise ConfigError(
        f"no archive here: no {CONFIG_FILENAME} in {folder} or any folder above it; "
        "run archive-ingest init to make one, or pass --config"
    )


def load_settings(
    config_path: Path | None = None,
    *,
    inbox: Path | None = None,
    archive: Path | None = None,
) -> Settings:
    """Read an archive's `pipeline.yaml` and return settings with absolute paths.

    Args:
        config_path: the file to read; default the one `find_config` finds from the
            current folder up.
        inbox: overrides `paths.inbox` (relative to the current folder); it must be a folder.
        archive: overrides `paths.archive`; the catalog moves with it unless
            `paths.catalog` was set explicitly outside the archive.

    Raises:
        ConfigError: there is no archive here; the file is unreadable, not YAML, or has a
            bad key or value; the gazetteer it names cannot be read; `inbox` is not a
            folder. One line naming the file as read (relative to the current folder when
            it is inside it) and the key.
    """
    path = find_config() if config_path is None else Path(config_path)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: cannot read: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        raw: Any = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{shown}:{where}: not valid YAML: {problem}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{shown}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_path_from_str)
    except msgspec.ValidationError as exc:
        raise ConfigError(_one_line(shown, exc)) from exc

    # The folder the file was found in, not the one a link to it points into: the
    # repository's pipeline.yaml links to the packaged template and names the repository's inbox.
    base = path.absolute().parent.resolve()
    paths = settings.paths
    archive_dir = _absolute(base, paths.archive)
    catalog = _absolute(base, paths.catalog)
    if archive is not None:
        new_archive = Path(archive).resolve()
        if catalog.is_relative_to(archive_dir):
            catalog = new_archive / catalog.relative_to(archive_dir)
        archive_dir = new_archive
    inbox_dir = _absolute(base, paths.inbox) if inbox is None else _inbox_given(inbox)
    gazetteer = settings.places.gazetteer
    gazetteer_path = _absolute(base, gazetteer) if gazetteer is not None else None
    if gazetteer_path is not None:
        try:
            with gazetteer_path.open("rb"):
                pass
        except OSError as exc:
            raise ConfigError(
                f"{shown}: places.gazetteer: cannot read {gazetteer_path}: {exc.strerror or exc}"
            ) from exc
    return msgspec.structs.replace(
        settings,
        paths=PathSettings(inbox=inbox_dir, archive=archive_dir, catalog=catalog),
        places=msgspec.structs.replace(settings.places, gazetteer=gazetteer_path),
    )


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may not look into holds no archive of ours
        return False


def _shown(path: Path) -> str:
    """A file as messages name it: relative to the current folder when inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


def _inbox_given(inbox: Path) -> Path:
    """An inbox named on the command line must exist: a typo must not read as an empty inbox."""
    folder = Path(inbox).resolve()
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise ConfigError(f"inbox {folder}: {what}; name the folder that holds the scans (or make it and drop them in)")
    return folder


def _absolute(base: Path, value: Path) -> Path:
    return (base / value).resolve() if not value.is_absolute() else value


def _path_from_str(type_: type, value: Any) -> Any:
    """msgspec's hook for the types it does not know: here only `Path`, from a str."""
    if type_ is Path and isinstance(value, str):
        return Path(value)
    raise TypeError(f"Expected `{type_.__name__}`, got `{type(value).__name__}`")


def _one_line(filename: str, exc: msgspec.ValidationError) -> str:
    """`pipeline.yaml: ocr.psm: expected int <= 13`: msgspec's message, the key's path first.

    msgspec stops at the first problem it meets, in the file's order, so the line names that
    one only: the user fixes one line at a time, as with a compiler's first error. msgspec's
    words are kept, without backticks and with YAML's names for its JSON ones (`_YAML_WORDS`);
    an unknown key gets the section's known keys, a bad choice the values allowed. A
    `__post_init__` error names the section it was raised in (nothing at the top level), and
    the key too when it is a `_BadKey` (msgspec chains the error it wraps).
    """
    reason, at, where = str(exc).rpartition(" - at `")
    if not at:  # no path: a problem of `Settings` itself
        reason, where = where, ""
    in_key = where.startswith("key` in `")  # `1: x`: msgspec names the mapping, not the key
    path = where.removeprefix("key` in `").removesuffix("`").removeprefix("$").removeprefix(".")
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", reason)
    if unknown and (section := _type_at(path)) is not None:
        known = ", ".join(section.__struct_fields__)
        path, reason = _joined(path, unknown[1]), f"unknown key (known keys: {known})"
    elif reason.startswith("Invalid enum value") and get_origin(choice := _type_at(path)) is Literal:
        reason += f" (known values: {', '.join(str(value) for value in get_args(choice))})"
    elif isinstance(exc.__cause__, _BadKey):
        path = _joined(path, exc.__cause__.key)
    reason = re.sub(r"`([^`]*)`", lambda word: _YAML_WORDS.get(word[1], word[1]), reason)
    if reason[:1].isupper() and reason[1:2].islower():  # msgspec's "Expected", not "EXIF"
        reason = reason[0].lower() + reason[1:]
    return f"{filename}: {path or '(top level)'}: {reason}{' for a key' if in_key else ''}"


#: msgspec names the types of JSON; `pipeline.yaml` is YAML, whose words these are.
_YAML_WORDS = {"object": "mapping", "array": "list"}


def _joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_at(path: str) -> Any:
    """The type `Settings` declares at `path` (`ocr`, `ocr.engine`); None past a list item."""
    type_: Any = Settings
    for name in filter(None, path.split(".")):
        if not (isinstance(type_, type) and issubclass(type_, _Section)):
            return None
        type_ = next((info.type for info in msgspec.structs.fields(type_) if info.name == name), None)
    return type_


# -- a new archive ------------------------------------------------------------------


@dataclass(frozen=True)
class NewArchive:
    """What `init_archive` made: the archive's folder and its parts."""

    folder: Path
    config: Path
    inbox: Path
    archive: Path
    kept: tuple[Path, ...]
    """Parts that were there already and were left as they were (an inbox with scans waiting)."""


def config_template() -> str:
    """The `pipeline.yaml` a new archive starts with: every key at its default, commented."""
    from importlib import resources  # here: only `init` reads the template

    return (resources.files("archive_ingest") / "data" / CONFIG_FILENAME).read_text(encoding="utf-8")


def init_archive(folder: Path) -> NewArchive:
    """Make a new archive in `folder` (made if missing): `pipeline.yaml`, `inbox/`, `archive/`.

    An `inbox/` already there (scans waiting) and an empty `archive/` are kept as they are.

    Raises:
        ConfigError: `folder` is not a folder, already holds a `pipeline.yaml` or an archive,
            lies inside the inbox or the archive folder of another archive, or cannot be
            written. Nothing is changed then.
    """
    template = config_template()
    folder = folder.resolve()
    config, inbox, archive = folder / CONFIG_FILENAME, folder / INBOX_DIRNAME, folder / ARCHIVE_DIRNAME
    _check_free(folder, config, inbox, archive)
    kept = tuple(part for part in (inbox, archive) if part.is_dir())
    made: list[Path] = []
    try:
        for new_folder in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
            new_folder.mkdir()
            made.append(new_folder)
        with config.open("x", encoding="utf-8") as out:  # "x": never over a file made meanwhile
            made.append(config)
            out.write(template)
        for part in (inbox, archive):
            if part not in kept:
                part.mkdir()
                made.append(part)
    except OSError as exc:
        for path in reversed(made):  # leave the disk as it was
            with contextlib.suppress(OSError):
                if path == config:
                    path.unlink()
                else:
                    path.rmdir()
        raise ConfigError(f"{exc.filename or folder}: cannot create: {exc.strerror or exc}") from exc
    return NewArchive(folder=folder, config=config, inbox=inbox, archive=archive, kept=kept)


def _check_free(folder: Path, config: Path, inbox: Path, archive: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder; nothing changed")
    if config.exists() or config.is_symlink():
        raise ConfigError(f"{folder} already holds an archive ({CONFIG_FILENAME}); nothing changed")
    if archive.exists() and (not archive.is_dir() or any(archive.iterdir())):
        raise ConfigError(f"{folder} already holds an archive ({ARCHIVE_DIRNAME}/ is not empty); nothing changed")
    if inbox.exists() and not inbox.is_dir():
        raise ConfigError(f"{inbox}: not a folder; nothing changed")
    # An archive inside another's inbox would be ingested by the next run there, and one
    # inside another's archive folder would be reported by verify as files no record names.
    try:
        outer_config = find_config(folder.parent)
        outer = load_settings(outer_config)
    except ConfigError:
        return  # no archive above, or one whose settings do not load: nothing to go by
    for role, inside in (("inbox", outer.paths.inbox), ("archive folder", outer.paths.archive)):
        if folder.is_relative_to(inside):
            raise ConfigError(
                f"{folder} is inside the {role} of the archive in {outer_config.parent}; nothing changed "
                "(init a folder outside it)"
            )
