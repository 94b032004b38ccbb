"""Rebuild the 公文 fonts in static/fonts/ from Debian's font packages (static/fonts/README.md).

Each face is cut down to GB 2312 (its 6,763 hanzi and 682 symbols) plus ASCII, Latin-1 and the
punctuation Chinese text uses, renamed to our own family names (the OFL forbids a modified font to
keep a Reserved Font Name; the GPL fonts are renamed alike so the CSS reads the same), and stored
as WOFF2. The PDFs fall back to the full Noto Sans SC for anything outside the subset.
The bold 仿宋 (三级 headings, table headers) is FandolFang emboldened here, as Word does
when it is asked for 仿宋_GB2312 in bold: WeasyPrint draws no synthetic bold.

    apt-get download fonts-noto-cjk texlive-lang-chinese
    for f in *.deb; do dpkg-deb -x "$f" debs; done
    pip install fonttools brotli skia-pathops   # skia-pathops only for this script
    python scripts/subset_fonts.py debs          # about three minutes
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parent.parent / "static" / "fonts"
NOTO = "usr/share/fonts/opentype/noto"
FANDOL = "usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
# (source file inside the packages, face index in a collection (2 is SC in Noto's), family,
# style, output file, whole subset or Latin and punctuation only, emboldened)
FACES = [
    (f"{FANDOL}/FandolFang-Regular.otf", 0, "CHC Fang", "Regular", "CHCFang-Regular.woff2"),
    (f"{FANDOL}/FandolFang-Regular.otf", 0, "CHC Fang", "Bold", "CHCFang-Bold.woff2"),
    (f"{FANDOL}/FandolKai-Regular.otf", 0, "CHC Kai", "Regular", "CHCKai-Regular.woff2"),
    (f"{NOTO}/NotoSerifCJK-Bold.ttc", 2, "CHC Song", "Bold", "CHCSong-Bold.woff2"),
    # Page numbers only (4号半角宋体 digits and dashes): a few kilobytes.
    (f"{NOTO}/NotoSerifCJK-Regular.ttc", 2, "CHC Song", "Regular", "CHCSong-Regular.woff2"),
]
EMBOLDEN = {"CHCFang-Bold.woff2"}
LATIN_ONLY = {"CHCSong-Regular.woff2"}
# Beyond GB 2312: ASCII, Latin-1 (× ° ·), general punctuation (— ‰ …), then letterlike symbols
# (℃ №), number forms (Ⅳ), enclosed numbers, CJK symbols and full-width forms.
LATIN = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x205E)]
SYMBOLS = [(0x2100, 0x214F), (0x2160, 0x217F), (0x2460, 0x24FF), (0x3000, 0x303F)]
SYMBOLS += [(0xFF01, 0xFFEF)]
# Stroke added around every outline for the bold face, in font units (1000 to the em).
BOLD_STROKE = 36


def gb2312() -> set[int]:
    """Every character GB 2312 encodes (rows 1–9 symbols, 16–87 hanzi)."""
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def wanted(latin_only: bool) -> set[int]:
    codes = set() if latin_only else gb2312()
    for first, last in LATIN if latin_only else LATIN + SYMBOLS:
        codes.update(range(first, last + 1))
    return codes


def rename(font: TTFont, family: str, style: str) -> None:
    """Family, full and PostScript names to ours; copyright and licence records stay."""
    postscript = f"{family.replace(' ', '')}-{style}"
    names = {1: family, 2: style, 3: f"{postscript};chc-subset", 4: f"{family} {style}"}
    names |= {6: postscript, 16: family, 17: style}
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in names]
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
    if "CFF " in font:  # the CFF table carries its own names
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{family} {style}", family
        top.Weight = style
    bold = style == "Bold"
    font["OS/2"].usWeightClass = 700 if bold else 400
    font["OS/2"].fsSelection = (font["OS/2"].fsSelection & ~0b1100001) | (
        0b100000 if bold else 0b1000000
    )
    font["head"].macStyle = 1 if bold else 0


def embolden(font: TTFont) -> None:
    """Every CFF outline grown by BOLD_STROKE / 2 on each side, advances unchanged."""
    import pathops
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
    glyphs, metrics = font.getGlyphSet(), font["hmtx"].metrics
    for name in list(charstrings.keys()):
        path = pathops.Path()
        glyphs[name].draw(path.getPen())
        grown = _grown(path, pathops)
        if grown is None:
            continue  # empty, or an outline pathops cannot union: the regular glyph stays
        pen = T2CharStringPen(metrics[name][0], None)
        grown.draw(pen)
        old = charstrings[name]
        charstrings[name] = pen.getCharString(private=old.private, globalSubrs=old.globalSubrs)


def _grown(path, pathops):
    if not path:
        return None
    for join in (pathops.LineJoin.MITER_JOIN, pathops.LineJoin.ROUND_JOIN):
        try:
            outline = pathops.Path(path)
            outline.simplify(fix_winding=True)
            stroke = pathops.Path(outline)
            stroke.stroke(BOLD_STROKE, pathops.LineCap.BUTT_CAP, join, 2)
            stroke.convertConicsToQuads()
            return pathops.op(outline, stroke, pathops.PathOp.UNION, fix_winding=True)
        except pathops.PathOpsError:
            continue
    return None


def build(root: Path, face: tuple) -> Path:
    source, index, family, style, target = face
    font = TTFont(root / source, fontNumber=index)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted(target in LATIN_ONLY))
    subsetter.subset(font)
    if target in EMBOLDEN:
        embolden(font)
    rename(font, family, style)
    font.flavor = "woff2"
    out = OUT / target
    font.save(out)
    return out


def main(root: str) -> None:
    for face in FACES:
        out = build(Path(root), face)
        print(f"{out.name}: {out.stat().st_size / 1_048_576:.1f} MiB")


if __name__ == "__main__":
    main(sys.argv[1])
