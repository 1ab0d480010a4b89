"""Make the bundled sample drop: `samples/inbox/` and `samples/expected.json`.

    python samples/make_samples.py           # (re)write samples/inbox/ and samples/expected.json
    python samples/make_samples.py --check   # ... then OCR every inscription with tesseract

Every scan is a synthetic drawing (the real photos belong to the Russian Embassy in
Pyongyang and are not redistributed). The script is deterministic: per-file random
generators seeded from SEED and the file name, no timestamps anywhere, so the same
Pillow version writes the same bytes on every run. `samples/inbox/` is deleted and
recreated on each run; do not keep anything else in it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import random
import shutil
import sys
import time
import unicodedata
from pathlib import Path

import PIL
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
INBOX = HERE / "inbox"
EXPECTED = HERE / "expected.json"

# One drawing helper for tests and samples: tests/scanmaker.py draws the inscriptions
# (real fonts, EXIF, orientation) for both, so the samples look like what the tests check.
# It is not an installed module, hence the path insert.
sys.path.insert(0, str(REPO / "tests"))
import scanmaker  # noqa: E402
from scanmaker import ExifSpec, draw_inscription, make_bomb_png, truncate  # noqa: E402

SEED = 1945
INK = 30  # letter darkness on a white (255) inscription layer before the stone texture
CREDIT = "Russian Embassy in Pyongyang"


# --------------------------------------------------------------------------- textures


def _rng(name: str) -> random.Random:
    # A string seed is hashed (sha512) by random.Random: stable across runs and platforms,
    # and one file's pixels do not change when another file is added.
    return random.Random(f"{SEED}:{name}")


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def _span(image: Image.Image, low: int, high: int) -> Image.Image:
    """Map 0..255 linearly onto low..high."""
    return image.point([low + (high - low) * v // 255 for v in range(256)])


def mottle(rng: random.Random, size: tuple[int, int], low: int, high: int, cell: int = 48) -> Image.Image:
    """Soft blotches (weathered stone, grass, sky haze): random cells blown up smoothly."""
    w, h = size
    small = _noise(rng, (w // cell + 3, h // cell + 3))
    big = small.resize((w + 2 * cell, h + 2 * cell), Image.Resampling.BICUBIC)
    big = big.crop((cell, cell, cell + w, cell + h)).filter(ImageFilter.GaussianBlur(cell / 4))
    return _span(big, low, high)


def light_falloff(size: tuple[int, int], strength: int, angle: int) -> Image.Image:
    """0 at the lit side rising to `strength` at the other: subtract it for uneven daylight."""
    grad = Image.linear_gradient("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    grad = grad.crop((40, 40, 216, 216)).resize(size, Image.Resampling.BICUBIC)
    return _span(grad, 0, strength)


def grain(rng: random.Random, image: Image.Image, amount: int) -> Image.Image:
    """Add fine sensor/film grain of about +-amount levels to an L image."""
    if amount <= 0:
        return image
    noise = _noise(rng, image.size).filter(ImageFilter.GaussianBlur(0.5))
    # blurred uniform noise clusters round 128; stretch it back to roughly +-amount
    noise = noise.point(lambda v: max(0, min(2 * amount, amount + (v - 128) * amount // 24)))
    return ImageChops.add(image, noise, scale=1.0, offset=-amount)


def is_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def inscription(lines: list[str], size: tuple[int, int], font_px: int, hangul_px: int | None = None) -> Image.Image:
    """The letters, dark on white (L), centred in `size`, drawn by scanmaker.draw_inscription.

    With `hangul_px`, Hangul lines are drawn at that size and the rest at `font_px`, each
    line by its own draw_inscription call, stacked. Plain tesseract with rus+kor+eng reads
    a Hangul line under Cyrillic ones erratically at the Cyrillic size (NanumGothic's thin
    strokes; a short syllable block gets taken for Cyrillic or Latin), and the size that
    works is a narrow band: 84 px read 12 of 12 textures where 80 and 88 read 3-9 of 12
    for the Kim Shura stone. Re-run `--check` after changing any size here.
    """
    if hangul_px is None:
        return draw_inscription(lines, size=size, font_px=font_px, background=255, ink=INK).convert("L")
    blocks = [
        draw_inscription([line], font_px=hangul_px if is_hangul(line) else font_px, background=255, ink=INK, margin=0)
        for line in lines
    ]
    canvas = Image.new("L", size, 255)
    y = (size[1] - sum(block.height for block in blocks)) // 2
    for block in blocks:
        canvas.paste(block.convert("L"), ((size[0] - block.width) // 2, y))
        y += block.height
    return canvas


def stone_face(
    rng: random.Random,
    lines: list[str],
    size: tuple[int, int],
    font_px: int,
    *,
    base: int = 205,
    spread: int = 16,
) -> Image.Image:
    """Light grey stone with the inscription cut in dark: an L image of `size`."""
    stone = mottle(rng, size, base - spread, base + spread, cell=40)
    stone = ImageChops.subtract(stone, mottle(rng, size, 0, 10, cell=12))  # finer pitting
    if not lines:
        return stone
    return ImageChops.multiply(stone, inscription(lines, size, font_px))


def stone_mask(size: tuple[int, int], shape: str) -> Image.Image:
    w, h = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    if shape == "arch":
        draw.rectangle((0, w // 2, w - 1, h - 1), fill=255)
        draw.ellipse((0, 0, w - 1, w - 1), fill=255)
    else:
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(6, w // 30), fill=255)
    return mask


def headstone_photo(
    name: str,
    lines: list[str],
    *,
    canvas: tuple[int, int],
    stone: tuple[int, int],
    font_px: int,
    shape: str = "rect",
    colour: bool = True,
    grain_amount: int = 5,
    levels_bits: int = 8,
    hangul_px: int | None = None,
) -> Image.Image:
    """A grave photographed in daylight: a light stone on grass and earth, gentle falloff.

    `levels_bits` below 8 posterizes the result (a scanner's coarse steps); with less
    grain it keeps lossless PNG and TIFF samples small.
    """
    rng = _rng(name)
    cw, ch = canvas
    sw, sh = stone
    # on an arched stone the inscription sits in the rectangle below the curve
    text_h = sh - sw // 3 if shape == "arch" else sh
    face = stone_face(rng, [], stone, font_px)
    letters = inscription(lines, (sw, text_h), font_px, hangul_px)
    cut = Image.new("L", stone, 255)
    cut.paste(letters, (0, sh - text_h))
    face = ImageChops.multiply(face, cut)
    ground = mottle(rng, canvas, 70, 125, cell=36)
    x, y = (cw - sw) // 2, (ch - sh) // 2 + ch // 20
    shadow = Image.new("L", canvas, 0)
    shadow.paste(stone_mask(stone, shape), (x + 14, y + 10))
    ground = ImageChops.subtract(ground, _span(shadow.filter(ImageFilter.GaussianBlur(10)), 0, 45))
    ground.paste(face, (x, y), stone_mask(stone, shape))
    photo = ImageChops.subtract(ground, light_falloff(canvas, 28, rng.choice((20, 70, 160, 200))))
    photo = photo.filter(ImageFilter.GaussianBlur(0.6))
    photo = grain(rng, photo, grain_amount)
    if levels_bits < 8:
        photo = ImageOps.posterize(photo, levels_bits)
    if not colour:
        return photo
    # a faint warm cast, the way a phone renders grey granite in sunlight
    return Image.merge("RGB", (photo.point(lambda v: min(255, v + 6)), photo, photo.point(lambda v: max(0, v - 7))))


def monument_print(name: str, lines: list[str], *, canvas: tuple[int, int], font_px: int) -> Image.Image:
    """A 1950s black-and-white print: obelisk on a plinth that carries the dedication."""
    rng = _rng(name)
    cw, ch = canvas
    sky = ImageChops.subtract(mottle(rng, canvas, 200, 230, cell=90), light_falloff(canvas, 25, 90))
    draw = ImageDraw.Draw(sky)
    ground_y = int(ch * 0.86)
    draw.rectangle((0, ground_y, cw, ch), fill=105)
    plinth_w, plinth_h = int(cw * 0.84), int(ch * 0.38)
    px, py = (cw - plinth_w) // 2, ground_y - plinth_h
    # obelisk: a tapering shaft with a star on top
    shaft_bottom, shaft_top = int(cw * 0.07), int(cw * 0.035)
    cx = cw // 2
    draw.polygon(
        [
            (cx - shaft_bottom, py),
            (cx - shaft_top, int(ch * 0.16)),
            (cx + shaft_top, int(ch * 0.16)),
            (cx + shaft_bottom, py),
        ],
        fill=150,
    )
    draw.polygon([(cx + shaft_top, int(ch * 0.16)), (cx + shaft_bottom, py), (cx + shaft_bottom // 3, py)], fill=128)
    star_r = shaft_top * 1.6
    star_y = int(ch * 0.16) - star_r
    pts = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.42
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + r * math.cos(a), star_y + r * math.sin(a)))
    draw.polygon(pts, fill=95)
    draw.rectangle((px - 14, ground_y - 16, px + plinth_w + 14, ground_y), fill=140)  # step
    face = stone_face(rng, lines, (plinth_w, plinth_h), font_px, base=212, spread=12)
    sky.paste(face, (px, py))
    photo = sky.filter(ImageFilter.GaussianBlur(0.7))
    return grain(rng, photo, 4)


def ceremony_photo(name: str, canvas: tuple[int, int]) -> Image.Image:
    """Wreath laying: an obelisk, wreaths at its foot, a row of people; no legible letters."""
    rng = _rng(name)
    cw, ch = canvas
    sky_l = ImageChops.subtract(mottle(rng, canvas, 215, 240, cell=80), light_falloff(canvas, 30, 90))
    photo = Image.merge("RGB", (sky_l.point(lambda v: v - 40), sky_l.point(lambda v: v - 15), sky_l))
    draw = ImageDraw.Draw(photo)
    horizon = int(ch * 0.62)
    # trees behind, paving in front
    for _ in range(14):
        r = rng.randint(40, 75)
        x = rng.randint(0, cw)
        draw.ellipse(
            (x - r, horizon - 2 * r, x + r, horizon + 10), fill=(50 + rng.randint(0, 20), 85 + rng.randint(0, 25), 45)
        )
    draw.rectangle((0, horizon, cw, ch), fill=(150, 146, 138))
    cx = cw // 2
    draw.polygon([(cx - 34, horizon), (cx - 16, 40), (cx + 16, 40), (cx + 34, horizon)], fill=(205, 200, 192))
    draw.polygon([(cx + 16, 40), (cx + 34, horizon), (cx + 8, horizon)], fill=(178, 173, 166))
    draw.rectangle((cx - 120, horizon - 60, cx + 120, horizon + 6), fill=(120, 112, 104))
    # wreaths: green rings with red ribbons
    for wx in (cx - 150, cx - 60, cx + 60, cx + 150):
        wy = horizon + 30
        draw.ellipse((wx - 38, wy - 38, wx + 38, wy + 38), fill=(40, 100, 45))
        draw.ellipse((wx - 18, wy - 18, wx + 18, wy + 18), fill=(150, 146, 138))
        draw.polygon([(wx - 8, wy + 30), (wx + 8, wy + 30), (wx + 14, wy + 70), (wx - 14, wy + 70)], fill=(175, 30, 35))
    # people in dark coats, seen from behind
    for k in range(9):
        x = 70 + k * 95 + rng.randint(-12, 12)
        y = ch - 40 - rng.randint(0, 20)
        draw.rounded_rectangle((x - 26, y - 150, x + 26, y), radius=14, fill=(30 + rng.randint(0, 25),) * 3)
        draw.ellipse((x - 16, y - 190, x + 16, y - 152), fill=(60, 48, 40))
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    channels = [grain(rng, band, 4) for band in photo.split()]
    return Image.merge("RGB", channels)


# --------------------------------------------------------------------------- writing


def save_scan(path: Path, image: Image.Image, *, exif: ExifSpec | None = None, **options: object) -> None:
    """scanmaker.save_scan at the samples' JPEG quality (85 keeps each file under ~120 KB)."""
    scanmaker.save_scan(path, image, exif=exif, quality=85, **options)


def write_caption(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    """Write `text` (lines joined by `newline`, ending with one) in `encoding`."""
    data = newline.join(text.split("\n")) + newline
    path.write_bytes(data.encode(encoding))


def exif_expected(spec: ExifSpec) -> dict[str, object]:
    return {
        "date_taken": spec.date_original.replace(":", "-", 2).replace(" ", "T") if spec.date_original else None,
        "make": spec.make,
        "model": spec.model,
        "artist": spec.artist,
        "copyright": spec.copyright,
        "description": spec.description,
        "orientation": spec.orientation,
        "gps": {"lat": spec.gps[0], "lon": spec.gps[1]} if spec.gps else None,
    }


def no_issues(**overrides: object) -> dict[str, object]:
    issues: dict[str, object] = {
        "duplicate_of": None,
        "corrupt": None,
        "decompression_bomb": False,
        "no_caption": False,
        "orphan_caption": False,
        "bad_encoding": None,
    }
    issues.update(overrides)
    return issues


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build() -> dict[str, object]:
    if INBOX.exists():
        shutil.rmtree(INBOX)
    INBOX.mkdir(parents=True)
    items: dict[str, dict[str, object]] = {}

    def item(
        name: str,
        kind: str,
        *,
        lines: list[str] | None = None,
        caption: dict[str, object] | None = None,
        exif: ExifSpec | None = None,
        place: str | None = None,
        date: dict[str, str] | None = None,
        **issues: object,
    ) -> None:
        path = INBOX / name
        entry: dict[str, object] = {"kind": kind}
        if path.exists():
            entry["format"] = _format_of(path)
            entry["bytes"] = path.stat().st_size
            entry["sha256"] = sha256(path)
        entry["inscription_lines"] = lines or []
        entry["caption"] = caption
        entry["exif"] = exif_expected(exif) if exif else None
        entry["place"] = place
        entry["date"] = date
        entry["issues"] = no_issues(no_caption=caption is None and kind != "orphan_caption", **issues)
        items[name] = entry

    def sidecar(image_name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> dict[str, object]:
        txt = (INBOX / image_name).with_suffix(".txt")
        write_caption(txt, text, encoding, newline)
        return {
            "file": txt.name,
            "text": text,
            "encoding": encoding,
            "bom": encoding == "utf-8-sig",
            "newline": newline,
        }

    # 1. Headstone, JPEG with full EXIF; orientation 6, pixels stored turned.
    name = "DSC_0412.jpg"
    lines = ["ЛЕЙТЕНАНТ", "ПЕТРОВ СЕРГЕЙ НИКОЛАЕВИЧ", "1921-1945"]
    exif = ExifSpec(
        date_original="2018:08:15 10:21:37",
        date_time="2018:08:15 10:21:37",
        make="Canon",
        model="Canon EOS 80D",
        artist="Russian Embassy in Pyongyang",
        copyright="Russian Embassy in Pyongyang",
        orientation=6,
        gps=(39.0341, 125.7853),  # Soviet military cemetery area, about 2 km from the city point
    )
    save_scan(INBOX / name, headstone_photo(name, lines, canvas=(900, 640), stone=(800, 500), font_px=40), exif=exif)
    text = "Могила лейтенанта Петрова Сергея Николаевича (1921-1945). Советское воинское кладбище в Пхеньяне."
    cap = sidecar(name, text)
    item(
        name,
        "headstone",
        lines=lines,
        caption=cap,
        exif=exif,
        place="Pyongyang",
        date={"value": "2018-08-15", "source": "exif"},
    )

    # 2. The same bytes dropped again under a copy name, with its own (English) caption.
    dup = "DSC_0412 (1).jpg"
    shutil.copyfile(INBOX / name, INBOX / dup)
    text = "Grave of Lieutenant Sergei Nikolaevich Petrov (1921-1945), Soviet military cemetery in Pyongyang."
    cap = sidecar(dup, text)
    item(
        dup,
        "headstone",
        lines=lines,
        caption=cap,
        exif=exif,
        place="Pyongyang",
        date={"value": "2018-08-15", "source": "exif"},
        duplicate_of=name,
    )

    # 3. Headstone with a Cyrillic, spaced file name; caption in UTF-8 with BOM and CRLF.
    name = "Могила Тён Иван.jpg"
    lines = ["ТЁН ИВАН", "1884-1949"]
    save_scan(INBOX / name, headstone_photo(name, lines, canvas=(600, 800), stone=(440, 560), font_px=64, shape="arch"))
    cap = sidecar(name, "Тён Иван (1884-1949).\nСоветское гражданское кладбище, Пхеньян.", "utf-8-sig", "\r\n")
    item(name, "headstone", lines=lines, caption=cap, place="Pyongyang")

    # 4. Headstone of a Soviet Korean child, PNG, a Hangul line; caption in legacy cp1251.
    name = "scan_0023.png"
    lines = ["Ким Шура", "김슈라", "1938-1947"]
    save_scan(
        INBOX / name,
        headstone_photo(
            name,
            lines,
            canvas=(540, 720),
            stone=(440, 500),
            font_px=60,
            hangul_px=84,
            colour=False,
            grain_amount=2,
            levels_bits=6,
        ),
        optimize=True,
    )
    text = "Ким Шура (1938-1947). Советское кладбище в Вонсане."
    cap = sidecar(name, text, "cp1251")
    item(name, "headstone", lines=lines, caption=cap, place="Wonsan", bad_encoding="cp1251")

    # 5. Headstone with a Hangul line under the Cyrillic name; no caption anywhere.
    name = "DSC_0577.jpg"
    lines = ["РЯДОВОЙ", "ХАН ПЁТР", "한 표트르", "1925-1946"]
    save_scan(INBOX / name, headstone_photo(name, lines, canvas=(620, 860), stone=(500, 640), font_px=58, hangul_px=90))
    item(name, "headstone", lines=lines)

    # 6. Unknown soldier, a 1970s print scanned to greyscale TIFF; caption from captions.csv.
    name = "scan_0031.tif"
    lines = ["НЕИЗВЕСТНЫЙ СОЛДАТ", "1945"]
    photo = headstone_photo(
        name, lines, canvas=(740, 500), stone=(670, 360), font_px=46, colour=False, grain_amount=2, levels_bits=6
    )
    print_ = Image.new("L", (photo.width + 40, photo.height + 40), 246)  # the print's white border
    print_.paste(photo, (20, 20))
    save_scan(INBOX / name, print_, compression="tiff_adobe_deflate")
    manifest_rows = [
        {
            "file": name,
            "caption": "Могила неизвестного советского солдата. Советское воинское кладбище в Чхонджине.",
            "place": "Chongjin",
            "date": "1978",
            "credit": CREDIT,
        }
    ]
    item(
        name,
        "headstone",
        lines=lines,
        caption={"file": "captions.csv", "text": manifest_rows[0]["caption"], "encoding": "utf-8"},
        place="Chongjin",
        date={"value": "1978", "source": "manifest"},
    )

    # 7. Monument of Liberation, a 1958-9 black-and-white print; caption from captions.csv.
    name = "archive_1958_031.jpg"
    lines = ["ВЕЧНАЯ СЛАВА", "ВОИНАМ СОВЕТСКОЙ АРМИИ", "1945"]
    save_scan(INBOX / name, monument_print(name, lines, canvas=(900, 680), font_px=40))
    manifest_rows.append(
        {
            "file": name,
            "caption": "Monument of Liberation in Sinuiju, North Pyongan province (1958-9).",
            "place": "Sinuiju",
            "date": "1958",
            "credit": CREDIT,
        }
    )
    item(
        name,
        "monument",
        lines=lines,
        caption={"file": "captions.csv", "text": manifest_rows[1]["caption"], "encoding": "utf-8"},
        place="Sinuiju",
        date={"value": "1958", "source": "manifest"},
    )

    # 8. Wreath-laying ceremony on Victory Day: shapes, no letters; date in EXIF and caption.
    name = "IMG_20190509_104512.jpg"
    exif = ExifSpec(date_original="2019:05:09 10:45:12", date_time="2019:05:09 10:45:12", make="SONY", model="ILCE-7M3")
    save_scan(INBOX / name, ceremony_photo(name, (900, 600)), exif=exif)
    cap = sidecar(name, "Возложение венков к памятнику Освобождения в Пхеньяне, 9 мая 2019 года.")
    item(
        name,
        "ceremony",
        caption=cap,
        exif=exif,
        place="Pyongyang",
        date={"value": "2019-05-09", "source": "exif+caption"},
    )

    # 9. A transfer that stopped half-way: a headstone JPEG cut in half. Its caption arrived.
    name = "DSC_0733.jpg"
    save_scan(
        INBOX / name,
        headstone_photo(name, ["СТАРШИНА", "ЛИ ВАЛЕРИЙ", "1919-1945"], canvas=(600, 800), stone=(460, 560), font_px=56),
    )
    truncate(INBOX / name, 0.5)
    cap = sidecar(name, "Могила старшины Ли Валерия (1919-1945), Хамхын.")
    item(name, "bad", caption=cap, corrupt="truncated")

    # 10. A web page saved under a .jpg name (a failed download).
    name = "photo_2021-02-23.jpg"
    (INBOX / name).write_bytes(
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
        b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
    )
    item(name, "bad", corrupt="not_an_image")

    # 11. A decompression bomb: a tiny PNG that declares 30000 x 30000 pixels.
    name = "panorama_scan.png"
    make_bomb_png(INBOX / name)
    item(name, "bad", corrupt="decompression_bomb", decompression_bomb=True)

    # 12. A caption whose image never arrived.
    name = "DSC_0519.txt"
    write_caption(INBOX / name, "Памятник Освобождения в Хэджу, провинция Южная Хванхэ.")
    items[name] = {
        "kind": "orphan_caption",
        "caption": {
            "file": name,
            "text": "Памятник Освобождения в Хэджу, провинция Южная Хванхэ.",
            "encoding": "utf-8",
            "bom": False,
            "newline": "\n",
        },
        "issues": no_issues(orphan_caption=True),
    }

    # The manifest: UTF-8, no BOM, LF line ends, a header row.
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["file", "caption", "place", "date", "credit"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(manifest_rows)
    (INBOX / "captions.csv").write_bytes(buffer.getvalue().encode("utf-8"))

    _sanity_checks()
    files = sorted(p.name for p in INBOX.iterdir())
    return {
        "meta": {
            "generator": "samples/make_samples.py",
            "seed": SEED,
            "pillow": PIL.__version__,
            "manifest": "captions.csv",
            "notes": [
                "Scans are synthetic drawings; captions agree with the stones (no caption_conflict).",
                "caption.text is the decoded caption: BOM removed, CRLF read as LF, trailing newline dropped.",
                "exif.gps was written as degrees/minutes/seconds rounded to 1e-4 s; compare within 1e-5 degrees.",
                "duplicate_of names the original, but the two files are byte-identical and a run in file-name "
                "order meets 'DSC_0412 (1).jpg' first: accept exactly one of the pair flagged duplicate.",
                "Hangul: tesseract may split or join syllable blocks ('김슈라' reads as '김 슈라'); "
                "compare Hangul lines without spaces.",
                "Bad files (kind 'bad') should be quarantined with a corrupt flag; "
                "only their caption and issues are expected.",
            ],
            "files": {name: (INBOX / name).stat().st_size for name in files},
            "total_bytes": sum((INBOX / name).stat().st_size for name in files),
        },
        "items": dict(sorted(items.items())),
    }


def _format_of(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            return image.format
    except Exception:  # truncated, not an image, or a bomb: all fine here
        head = path.read_bytes()[:8]
        return "JPEG" if head.startswith(b"\xff\xd8") else "PNG" if head.startswith(b"\x89PNG") else None


def _sanity_checks() -> None:
    data = (INBOX / "scan_0023.txt").read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # pragma: no cover - would make the bad_encoding sample pointless
        raise AssertionError("the cp1251 caption happens to be valid UTF-8")
    for path in INBOX.iterdir():
        if path.suffix.lower() in {".jpg", ".png", ".tif"} and path.stat().st_size > 120_000:
            raise AssertionError(f"{path.name} is {path.stat().st_size} bytes; keep samples under 120 KB")


# --------------------------------------------------------------------------- --check


def fold(text: str) -> str:
    """Upper case, Ё -> Е, dashes unified, whitespace collapsed: what an OCR comparison needs."""
    text = unicodedata.normalize("NFC", text).upper().replace("Ё", "Е")
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        text = text.replace(dash, "-")
    text = text.replace(" -", "-").replace("- ", "-")
    return " ".join(text.split())


def check(expected: dict[str, object]) -> bool:
    """OCR every inscription with plain tesseract and report what it read and how long it took."""
    import pytesseract
    from PIL import ImageOps

    ok = True
    items = expected["items"]
    assert isinstance(items, dict)
    for name, entry in items.items():
        lines = entry.get("inscription_lines") or []
        if not lines or entry["issues"]["duplicate_of"]:
            continue
        started = time.perf_counter()
        with Image.open(INBOX / name) as image:
            upright = ImageOps.exif_transpose(image)
            text = pytesseract.image_to_string(upright, lang="rus+kor+eng")
        took = time.perf_counter() - started
        got = fold(text)
        got_nospace = got.replace(" ", "")
        missing = [line for line in lines if fold(line) not in got and fold(line).replace(" ", "") not in got_nospace]
        ok = ok and not missing
        status = "ok" if not missing else f"MISSING {missing}"
        read = " | ".join(line for line in text.splitlines() if line.strip())
        print(f"{name}: {took:.2f}s {status}\n    read: {read}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="OCR the inscriptions with tesseract afterwards")
    args = parser.parse_args()
    expected = build()
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    meta = expected["meta"]
    assert isinstance(meta, dict)
    for name, size in meta["files"].items():
        print(f"{size:>8}  {name}")
    print(f"{meta['total_bytes']:>8}  total in {INBOX.relative_to(REPO)}/")
    if args.check and not check(expected):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
