"""The report as HTML in the official layout and as PDF (WeasyPrint, the shipped CJK font).

Fonts are subset with HarfBuzz when Debian's libharfbuzz-subset0 is present (~0.7 s for three pages
once warm); without it WeasyPrint falls back to fontTools and takes ~15 s (perf.md §A2).
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from .gongwen import font_faces
from .sections import REGISTERED

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"


def report_context(
    *,
    content: dict,
    centre,
    year: int,
    status_label: str = "",
    pdf: bool = False,
    opinion: str = "",
    approved_on=None,
) -> dict:
    """The document's context; `opinion` and `approved_on` fill the 举办单位意见 box."""
    return {
        "opinion": opinion,
        "approved_on": approved_on,
        "c": content,
        "centre": centre,
        "year": year,
        "status_label": status_label,
        "pdf": pdf,
        "font_dir": FONT_DIR.as_uri(),
        # The form keeps its sans face, from the same shipped set as the 公文 documents.
        "font_faces": font_faces(pdf=True, font_dir=FONT_DIR.as_uri(), families=["CHC Sans"]),
        "registered_group": REGISTERED,
    }


def report_html(**kwargs) -> str:
    """The standalone HTML of the report (its own print CSS and fonts), for print and PDF."""
    return render_to_string("reporting/report_document.html", report_context(**kwargs))


@functools.cache
def font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # reused: adding the same fonts again is the slow part


def html_to_pdf(html: str) -> bytes:
    """A standalone page (its own print CSS and @font-face) to PDF with the shared font setup."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=font_config())


def report_pdf(**kwargs) -> bytes:
    return html_to_pdf(report_html(pdf=True, **kwargs))
