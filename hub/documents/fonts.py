"""The documents' own font: the system's Chinese font cut down to the characters of GB 2312.

Every PDF embeds a subset of the font it uses, and WeasyPrint keeps glyph ids when it subsets: the
cost of each document grows with the whole font's size and glyph count, not with the characters
used. WenQuanYi Micro Hei has about 30,000 glyphs; GB 2312 (the 6,763 common hanzi, with Latin,
punctuation and full-width forms) needs about a third of them. Rendering with the smaller font costs
about 30% less CPU per document. Its vertical metrics are left out too (documents are set
horizontally): they were a third of the font data each PDF embeds.

Characters outside the cut (rare characters in a name or an address) still print: the stylesheet
lists the full system font next, and text falls back to it character by character.

Built by setup (``python -m hub.documents.fonts``) as build output, like the compiled catalogs. If
it is missing, documents render with the system font alone, as before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FAMILY = "Qinqing Document Sans"
# The number changes when ``build`` does, so that setup builds the font again.
FONT_FILE = Path(__file__).parent / "fonts" / "QinqingDocumentSans-2.ttf"
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei


def characters() -> set[int]:
    """GB 2312's characters, with printable ASCII and Latin-1, general and CJK punctuation, and
    full-width forms."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue  # an unassigned code point
    return chars


def build(source: Path = SOURCE, target: Path = FONT_FILE) -> Path:
    """Cut ``source`` down to ``characters()`` under the family name ``FAMILY`` (a changed font
    gets its own name), written atomically to ``target``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), fontNumber=0)
    options = subset.Options()
    options.retain_gids = False  # the point: glyph ids numbered afresh, from 0
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["EBDT", "EBLC", "EBSC", "FFTM", "vhea", "vmtx", "VORG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(str(partial))
    os.replace(partial, target)
    return target


def font_face() -> str:
    """The ``@font-face`` rule for the documents' font, or nothing when it was not built."""
    if not FONT_FILE.exists():
        return ""
    return f'@font-face {{ font-family: "{FAMILY}"; src: url("{FONT_FILE.as_uri()}"); }}\n'


def main() -> int:
    if not SOURCE.exists():
        print(f"{SOURCE} not found: documents will use the system fonts", file=sys.stderr)
        return 0
    if FONT_FILE.exists() and FONT_FILE.stat().st_mtime >= SOURCE.stat().st_mtime:
        return 0
    print(f"building the documents' font from {SOURCE.name} ...")
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
