"""The OCR engines behind the `reading.Engine` interface: pytesseract and tesserocr.

Both take pages (grayscale arrays), languages, a page segmentation mode and tesseract
variables, and return the words of each page (`reading.Word`: text, confidence, box as
left/top/width/height, (block, paragraph, line) numbers), so the reading plan cannot
tell them apart. Chosen by `ocr.engine` in pipeline.yaml:

- `pytesseract` (always available): one tesseract process per call; pages are written as
  uncompressed PGM into a private folder and read through a list file, so a call loads
  the language models once for several pages. `ocr.timeout_seconds` kills the process.
- `tesserocr` (optional: `pip install archive-ingest[fast]`): one `PyTessBaseAPI` per
  language set, loaded once per process and kept for the whole run; pages go in as PIL
  images (no files, no encoding), the mode is set per call with `SetPageSegMode`, the
  variables are set for the call and restored after it. Tesseract has no process to
  kill here: `ocr.timeout_seconds` is handed to `Recognize` as its deadline (tesseract's
  own cancel monitor, checked while recognising) for what is left of the call's time; a
  page started after the deadline is not read, and a call that ends past its deadline
  fails as a killed process would. Layout analysis, before recognition, is not covered by
  the monitor (it takes well under a second on pages this size), so a call can overrun
  the timeout by that much before it is stopped.
- `auto`: tesserocr when it is importable and loads the configured languages, else
  pytesseract.

tesserocr is imported only here, and only when asked for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from ...reading import Word
from ...reading.images import Gray

PYTESSERACT = "pytesseract"
TESSEROCR = "tesserocr"

#: The resolution tesseract assumes for a page without one ("Invalid resolution 0 dpi. Using 70").
ASSUMED_DPI = 70


class EngineError(Exception):
    """An engine failed on a page (tesserocr's counterpart of `pytesseract.TesseractError`)."""


class EngineTimeout(RuntimeError):
    """A call ran past its deadline (a RuntimeError, as pytesseract signals its timeout)."""


class EngineUnavailable(Exception):
    """The engine cannot be used here (not installed, or its language data does not load)."""


# -- pytesseract ------------------------------------------------------------------------------


class PytesseractEngine:
    """The `reading.Engine` over pytesseract: pages in, words per page out.

    Raises (from a call):
        pytesseract.TesseractError: tesseract failed on a page.
        RuntimeError: tesseract ran past `timeout` seconds (pytesseract's signal for it).
    """

    name = PYTESSERACT

    def __init__(self, folder: Path, timeout: float) -> None:
        self.folder = folder
        self.timeout = timeout
        self.calls = 0

    def __call__(
        self, pages: Sequence[Gray], languages: Sequence[str], psm: int, options: Mapping[str, str]
    ) -> list[list[Word]]:
        self.calls += 1
        paths = []
        for index, page in enumerate(pages):
            path = self.folder / f"call{self.calls}-page{index}.pgm"
            Image.fromarray(np.ascontiguousarray(page)).save(path, format="PPM")
            paths.append(path)
        source = paths[0]
        if len(paths) > 1:
            # A list file: tesseract reads every page with one load of the models and
            # numbers them in the TSV's page_num column.
            source = self.folder / f"call{self.calls}.txt"
            source.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
        config = " ".join([f"--psm {psm}", *(f"-c {key}={value}" for key, value in options.items())])
        data = pytesseract.image_to_data(
            str(source),
            lang="+".join(languages),
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=self.timeout,
        )
        words: list[list[Word]] = [[] for _ in pages]
        for index, text in enumerate(data["text"]):
            text = text.strip()
            confidence = float(data["conf"][index])
            if not text or confidence < 0:
                continue
            number = int(data["page_num"][index]) - 1
            if not 0 <= number < len(words):
                continue
            box = (
                int(data["left"][index]),
                int(data["top"][index]),
                int(data["width"][index]),
                int(data["height"][index]),
            )
            line = (int(data["block_num"][index]), int(data["par_num"][index]), int(data["line_num"][index]))
            words[number].append(Word(text, confidence, box, line))
        return words


def pytesseract_version() -> str:
    """`tesseract 5.3.0` (raises `pytesseract.TesseractNotFoundError` without tesseract)."""
    return f"tesseract {pytesseract.get_tesseract_version()}"


def pytesseract_languages() -> set[str]:
    return set(pytesseract.get_languages(config=""))


# -- tesserocr --------------------------------------------------------------------------------


def tessdata_folder() -> str | None:
    """Where the system's language data is: `TESSDATA_PREFIX`, else what `tesseract --list-langs` names.

    The tesserocr wheel bundles tesseract but no language data, and looks in its build's
    default folder; it is pointed at the same data the tesseract command uses, so both
    engines read with the same models. None if neither names a folder (tesserocr's default).
    """
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        return prefix if prefix.endswith("/") else prefix + "/"
    command = shutil.which(str(pytesseract.pytesseract.tesseract_cmd))
    if command is None:
        return None
    try:
        listing = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'available languages in "([^"]+)"', listing.stdout + listing.stderr)
    return match.group(1) if match else None


def _import_tesserocr() -> Any:
    try:
        import tesserocr
    except ImportError as exc:
        raise EngineUnavailable(
            f"tesserocr is not installed ({exc}); install it with 'pip install archive-ingest[fast]'"
        ) from exc
    return tesserocr


class TesserocrEngine:
    """The `reading.Engine` over tesserocr: one loaded API per language set, kept for the run.

    Raises (from a call):
        EngineError: tesseract failed on a page.
        EngineTimeout: the call ran past `timeout` seconds.
    """

    name = TESSEROCR

    def __init__(self, tessdata: str | None, timeout: float) -> None:
        self.tesserocr = _import_tesserocr()
        self.tessdata = tessdata
        self.timeout = timeout
        self.calls = 0
        self._apis: dict[str, Any] = {}

    @property
    def version(self) -> str:
        """`tesserocr 2.13.0 (tesseract 5.5.4)`."""
        tesseract = self.tesserocr.tesseract_version().split()[1]
        return f"tesserocr {self.tesserocr.__version__} (tesseract {tesseract})"

    def languages(self) -> set[str]:
        _, installed = self.tesserocr.get_languages(self.tessdata) if self.tessdata else self.tesserocr.get_languages()
        return set(installed)

    def api(self, languages: Sequence[str]) -> Any:
        """The API loaded with `languages` (loaded on first use, then kept).

        Raises:
            EngineUnavailable: tesseract cannot load these languages.
        """
        key = "+".join(languages)
        api = self._apis.get(key)
        if api is None:
            kwargs: dict[str, Any] = {"lang": key}
            if self.tessdata:
                kwargs["path"] = self.tessdata
            try:
                api = self.tesserocr.PyTessBaseAPI(**kwargs)
            except RuntimeError as exc:
                raise EngineUnavailable(f"tesserocr cannot load {key} from {self.tessdata}: {exc}") from exc
            self._apis[key] = api
        return api

    def close(self) -> None:
        for api in self._apis.values():
            api.End()
        self._apis.clear()

    def __call__(
        self, pages: Sequence[Gray], languages: Sequence[str], psm: int, options: Mapping[str, str]
    ) -> list[list[Word]]:
        self.calls += 1
        try:
            api = self.api(languages)
        except EngineUnavailable as exc:
            raise EngineError(str(exc)) from exc
        deadline = time.monotonic() + self.timeout
        saved = {key: api.GetVariableAsString(key) for key in options}
        try:
            for key, value in options.items():
                if not api.SetVariable(key, str(value)):
                    raise EngineError(f"tesseract has no variable {key}")
            api.SetPageSegMode(psm)
            return [self._read_page(api, page, deadline) for page in pages]
        finally:
            for key, value in saved.items():
                if value is not None:
                    api.SetVariable(key, value)
            api.Clear()

    def _read_page(self, api: Any, page: Gray, deadline: float) -> list[Word]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise EngineTimeout(f"no time left for the page (timeout {self.timeout:g} s)")
        try:
            api.SetImage(Image.fromarray(np.ascontiguousarray(page)))
            # Pages carry no resolution; the tesseract command then assumes 70 dpi, which
            # the reading plan's thresholds were tuned with. Without this the API reads
            # the same pages differently (worse boxes in the survey, lost letters).
            api.SetSourceResolution(ASSUMED_DPI)
            recognised = api.Recognize(timeout=max(1, int(left * 1000)))
        except RuntimeError as exc:  # tesserocr's errors are RuntimeErrors: not our timeout
            raise EngineError(f"tesseract failed on the page: {exc}") from exc
        if time.monotonic() >= deadline:
            # Stopped by the deadline, or finished past it: either way the call took too
            # long, as a tesseract process would have been killed.
            raise EngineTimeout(f"the call ran past its deadline (timeout {self.timeout:g} s)")
        if not recognised:
            raise EngineError("tesseract could not recognise the page")
        try:
            return list(self._words(api))
        except RuntimeError as exc:
            raise EngineError(f"tesseract failed on the page: {exc}") from exc

    def _words(self, api: Any) -> Any:
        """Words with boxes, confidences and tesseract-TSV-style (block, paragraph, line) numbers."""
        ril = self.tesserocr.RIL
        iterator = api.GetIterator()
        if iterator is None:
            return
        block = paragraph = line = 0
        for word in self.tesserocr.iterate_level(iterator, ril.WORD):
            if word.IsAtBeginningOf(ril.BLOCK):
                block, paragraph, line = block + 1, 0, 0
            if word.IsAtBeginningOf(ril.PARA):
                paragraph, line = paragraph + 1, 0
            if word.IsAtBeginningOf(ril.TEXTLINE):
                line += 1
            try:
                text = (word.GetUTF8Text(ril.WORD) or "").strip()
            except RuntimeError:  # tesserocr's "No text returned" for an empty word
                continue
            confidence = float(word.Confidence(ril.WORD))
            box = word.BoundingBox(ril.WORD)
            if not text or confidence < 0 or box is None:
                continue
            x1, y1, x2, y2 = box
            yield Word(text, confidence, (x1, y1, x2 - x1, y2 - y1), (block, paragraph, line))


#: The tesserocr engine of this process, by tessdata folder: the models stay loaded for the
#: whole run (worker processes each load their own).
_loaded: dict[tuple[int, str | None], TesserocrEngine] = {}


def tesserocr_engine(timeout: float, tessdata: str | None = None) -> TesserocrEngine:
    """This process's tesserocr engine (created on first use), with `timeout` per call.

    Raises:
        EngineUnavailable: tesserocr is not installed.
    """
    folder = tessdata if tessdata is not None else tessdata_folder()
    key = (os.getpid(), folder)
    engine = _loaded.get(key)
    if engine is None:
        engine = _loaded[key] = TesserocrEngine(folder, timeout)
    engine.timeout = timeout
    return engine


def tesserocr_ready(languages: Sequence[Sequence[str]], timeout: float) -> TesserocrEngine:
    """The tesserocr engine with every language set in `languages` loaded.

    Raises:
        EngineUnavailable: tesserocr is not installed or cannot load a language set.
    """
    engine = tesserocr_engine(timeout)
    installed = engine.languages()
    for wanted in languages:
        missing = [lang for lang in wanted if lang not in installed]
        if missing:
            raise EngineUnavailable(
                f"tesserocr finds no data for {', '.join(missing)} in {engine.tessdata or 'its default folder'}"
            )
        engine.api(wanted)
    return engine
