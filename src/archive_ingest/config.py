"""Load `pipeline.yaml` into frozen, typed settings; reject bad keys with one clear line.

Paths in the file are relative to the folder that holds it, so copying `pipeline.yaml`
into an empty folder starts a new archive there. Every section is a pydantic model with
`extra="forbid"`, so a misspelt key fails at load time, before any file moves, instead of
deep inside a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

CONFIG_FILENAME = "pipeline.yaml"

#: Every stage the pipeline knows, in the order a sensible pipeline runs them.
#: `pipeline.py` maps each name to its module; `fixity` must come first (nothing is
#: read before the bytes are hashed) and `file` last (nothing changes after filing).
KNOWN_STAGES = ("fixity", "identify", "similar", "exif", "ocr", "extract", "provenance", "flags", "access", "file")
DEFAULT_STAGES = list(KNOWN_STAGES)

DEFAULT_EXTENSIONS = [".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Section):
    inbox: Path = Path("inbox")
    archive: Path = Path("archive")
    catalog: Path = Path("archive/catalog.json")


class DiscoverSettings(_Section):
    extensions: list[str] = Field(default_factory=lambda: list(DEFAULT_EXTENSIONS))
    manifest: str = "captions.csv"
    max_caption_bytes: Annotated[int, Field(ge=1)] = 1_000_000

    @field_validator("extensions")
    @classmethod
    def _lowercase_with_dot(cls, value: list[str]) -> list[str]:
        for ext in value:
            if not ext.startswith("."):
                raise ValueError(f"extension {ext!r} must start with a dot")
        return [ext.lower() for ext in value]


class IdentifySettings(_Section):
    max_image_pixels: Annotated[int, Field(ge=1)] = 150_000_000


class SimilarSettings(_Section):
    """Near duplicates (`stages/similar.py`); the thresholds are measured by `benchmarks/near_duplicates.py`."""

    phash_max_distance: Annotated[int, Field(ge=0, le=64)] = 18
    """Pairs within this many pHash bits (of 64) are candidates, confirmed on the pixels."""
    confirm_min_score: Annotated[float, Field(ge=0, le=1)] = 0.85
    """Pixel match (worst tile's agreement after alignment, 0-1) from which a candidate is confirmed."""
    max_candidates: Annotated[int, Field(ge=1)] = 10
    """Candidates compared per new photo, nearest first; the rest are only named in the event."""


class OcrSettings(_Section):
    """How the OCR stage reads an inscription (see `reading/reader.py` for the plans)."""

    engine: Literal["auto", "pytesseract", "tesserocr"] = "auto"
    """The tesseract engine. auto: tesserocr (models kept loaded) when it is installed and
    loads the languages, else pytesseract (one tesseract process per call)."""
    line_engine: Literal["auto", "rapidocr", "none"] = "auto"
    """Finds the text lines and reads their digits (`reading/plan_lines.py`). auto: rapidocr
    when it is installed, else none; none: tesseract alone reads (`reading/plan_survey.py`)."""
    languages: list[str] = Field(default_factory=lambda: ["rus", "kor", "eng"], min_length=1)
    psm: Annotated[int, Field(ge=3, le=13)] = 6
    """Survey plan: page segmentation mode of the first candidates (read with and without binarising)."""
    extra_psms: list[Annotated[int, Field(ge=3, le=13)]] = Field(default_factory=lambda: [11])
    """Survey plan: further modes tried on the flattened crop."""
    timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    """A single tesseract call running longer is stopped (the record gets `ocr_failed`)."""
    time_budget_seconds: float | None = None
    """Ignored, kept so older pipeline.yaml files still load: reading no longer depends on
    the clock (the same bytes and settings give the same record on a busy machine)."""
    max_long_edge: Annotated[int, Field(ge=200)] = 2000
    survey_language: str = "rus"
    """Survey plan: the one fast language of the survey that finds the inscription and its rotation."""
    survey_long_edge: Annotated[int, Field(ge=200)] = 1000
    detect_long_edge: Annotated[int, Field(ge=320, le=4000)] = 960
    """Line plan: the detector reads a copy of the page this big (long edge, pixels)."""
    max_lines: Annotated[int, Field(ge=1, le=100)] = 12
    """Line plan: at most this many lines of the inscription are read (the largest)."""
    sweep: bool = True
    """Find the rotation when EXIF names none (both plans; see their docstrings)."""
    letter_px: Annotated[int, Field(ge=10, le=200)] = 40
    """Letter height (pixels) the inscription is scaled to before tesseract reads it."""
    min_word_confidence: Annotated[float, Field(ge=0, le=100)] = 40.0
    """Words read with less confidence stay in the word list but not in `ocr.text`."""


class FlagSettings(_Section):
    ocr_low_confidence_below: Annotated[float, Field(ge=0, le=100)] = 60.0
    ocr_kinds: list[str] = Field(default_factory=lambda: ["headstone", "monument"])


class ProvenanceSettings(_Section):
    credit: str = "Russian Embassy in Pyongyang"
    rights: str = "All photos are the property of the Russian Embassy in Pyongyang."
    source: str = "Photo series published by the Russian Embassy in Pyongyang (@RusEmbDPRK)"
    commentary: str | None = "Koryo Tours"


class AccessSettings(_Section):
    """Access copies (`stages/access.py`): the JPEGs that may leave the archive, credit embedded.

    The originals are never touched; these sizes only decide what is derived from them.
    """

    long_edge: Annotated[int, Field(ge=64, le=20_000)] = 1600
    """Long edge in pixels of the access copy (a smaller original is not enlarged)."""
    thumbnail_edge: Annotated[int, Field(ge=16, le=2000)] = 320
    """Long edge in pixels of the thumbnail."""
    quality: Annotated[int, Field(ge=1, le=95)] = 85
    """JPEG quality of both (above 95 Pillow's encoder only grows the file)."""

    @model_validator(mode="after")
    def _thumbnail_not_larger(self) -> AccessSettings:
        if self.thumbnail_edge > self.long_edge:
            raise ValueError(f"thumbnail_edge {self.thumbnail_edge} is larger than long_edge {self.long_edge}")
        return self


class CatalogSettings(_Section):
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 25


class PlaceSettings(_Section):
    gazetteer: Path | None = None
    gps_max_km: Annotated[float, Field(gt=0)] = 5.0
    gps_conflict_km: Annotated[float, Field(gt=0)] = 25.0


class Settings(_Section):
    """The whole of `pipeline.yaml`, with paths made absolute against its folder."""

    paths: PathSettings = Field(default_factory=PathSettings)
    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    discover: DiscoverSettings = Field(default_factory=DiscoverSettings)
    identify: IdentifySettings = Field(default_factory=IdentifySettings)
    similar: SimilarSettings = Field(default_factory=SimilarSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    flags: FlagSettings = Field(default_factory=FlagSettings)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    places: PlaceSettings = Field(default_factory=PlaceSettings)

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in KNOWN_STAGES:
                raise ValueError(f"unknown stage {name!r} (known: {', '.join(KNOWN_STAGES)})")
        if len(set(value)) != len(value):
            raise ValueError("a stage is listed twice")
        if not value or value[0] != "fixity":
            raise ValueError("the first stage must be 'fixity' (hash before anything else)")
        if value[-1] != "file":
            raise ValueError("the last stage must be 'file' (nothing changes after filing)")
        return value


def load_settings(
    config_path: Path | None = None,
    *,
    inbox: Path | None = None,
    archive: Path | None = None,
) -> Settings:
    """Read `pipeline.yaml` and return settings with absolute paths.

    Args:
        config_path: the file to read; default `./pipeline.yaml`. When the default file
            does not exist, built-in defaults apply relative to the current folder.
        inbox: overrides `paths.inbox` (relative to the current folder).
        archive: overrides `paths.archive`; the catalog moves with it unless
            `paths.catalog` was set explicitly outside the archive.

    Raises:
        ConfigError: the file is unreadable, not YAML, or has a bad key or value.
    """
    explicit = config_path is not None
    path = Path(config_path) if config_path is not None else Path.cwd() / CONFIG_FILENAME
    raw: Any = {}
    if path.exists() or explicit:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{path.name}:{where}: not valid YAML: {problem}") from exc
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path.name}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_one_line(path.name, exc)) from exc

    base = path.resolve().parent
    paths = settings.paths
    archive_dir = _absolute(base, paths.archive)
    catalog = _absolute(base, paths.catalog)
    if archive is not None:
        new_archive = Path(archive).resolve()
        if catalog.is_relative_to(archive_dir):
            catalog = new_archive / catalog.relative_to(archive_dir)
        archive_dir = new_archive
    inbox_dir = Path(inbox).resolve() if inbox is not None else _absolute(base, paths.inbox)
    gazetteer = settings.places.gazetteer
    return settings.model_copy(
        update={
            "paths": PathSettings(inbox=inbox_dir, archive=archive_dir, catalog=catalog),
            "places": settings.places.model_copy(
                update={"gazetteer": _absolute(base, gazetteer) if gazetteer else None}
            ),
        }
    )


def _absolute(base: Path, value: Path) -> Path:
    return (base / value).resolve() if not value.is_absolute() else value


def _one_line(filename: str, exc: ValidationError) -> str:
    """`pipeline.yaml: ocr.min_confidance: Extra inputs are not permitted` (first error)."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{filename}: {key}: {message}{suffix}"
