"""The README's search examples, run on the demo archive: each finds what its comment says.

The examples are read from the README itself (every `archive-ingest search` line of its
`sh` blocks), so a changed example fails here until the records it finds are written below.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path

import pytest

from conftest import ArchiveHome

README = Path(__file__).resolve().parents[1] / "README.md"

TYON, PETROV, KHAN, KIM = "Могила Тён Иван.jpg", "DSC_0412.jpg", "DSC_0577.jpg", "scan_0023.png"
SOLDIER, CEREMONY, MONUMENT, CUT = "scan_0031.tif", "IMG_20190509_104512.jpg", "archive_1958_031.jpg", "DSC_0733.jpg"

#: Each example (its arguments after `search`) -> the files of the records it finds, in order.
EXPECTED = {
    # "Using it"
    "Tyon Pyongyang": [TYON],
    "Chongjin --json": [SOLDIER],
    "status:pending flag:no_date": [KHAN, KIM, TYON],
    # "Searching"
    "Tyon": [TYON],
    "Tyon Ivan": [TYON],
    "Kim Shura": [KIM],
    "Heijo": [PETROV, CEREMONY, TYON],
    "청진": [SOLDIER],
    '"воинское кладбище" -Петров': [SOLDIER],
    "-flag:duplicate kind:headstone": [KHAN, KIM, SOLDIER, TYON],
    "place:Chongjin died:1945..1950": [SOLDIER],
    'person:"Sergei Petrov"': [PETROV],
    "Лейтенат kind:headstone": [PETROV],
    "status:pending has:gps --sort date --limit 20": [PETROV],
    "year:1945 credit:embassy --count": [PETROV, CUT, MONUMENT, SOLDIER],
    "лейтенант --csv --bom": [PETROV],
}


def readme_searches() -> list[list[str]]:
    """The arguments after `search` of every search line in the README's sh blocks
    (the comment and any redirection dropped)."""
    examples: list[list[str]] = []
    in_sh = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_sh = line.strip() == "```sh"
            continue
        if not in_sh:
            continue
        argv = shlex.split(line, comments=True)
        if len(argv) > 2 and argv[0].endswith("archive-ingest") and argv[1] == "search":
            examples.append(argv[2 : argv.index(">")] if ">" in argv else argv[2:])
    return examples


def files_shown(stdout: str, args: list[str]) -> list[str]:
    """The file names of the records a search printed, in whichever form it printed them."""
    if "--json" in args:
        return [record["source"]["filename"] for record in json.loads(stdout)]
    if "--csv" in args:
        return [row["file"] for row in csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff")))]
    return [line.split("\t")[3] for line in stdout.splitlines()]  # piped: tab-separated lines


def test_this_test_knows_every_readme_search() -> None:
    assert [" ".join(args) for args in readme_searches()] == list(EXPECTED)


@pytest.mark.parametrize("args", readme_searches(), ids=" ".join)
def test_a_readme_search_finds_what_it_says(demo_archive: ArchiveHome, args: list[str]) -> None:
    expected = EXPECTED[" ".join(args)]
    result = demo_archive.invoke("search", *args)
    assert result.exit_code == 0, result.stderr
    if "--count" in args:
        assert result.stdout == f"{len(expected)}\n"
        args = [arg for arg in args if arg != "--count"] + ["--json"]
        result = demo_archive.invoke("search", *args)
    assert files_shown(result.stdout, args) == expected
    if "--bom" in args:
        assert result.stdout_bytes.startswith(b"\xef\xbb\xbfid,kind,place,")
