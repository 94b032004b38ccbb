"""Files people download (PDF, XLSX, DOCX) carry Chinese names that Windows can save as they are.

`download_name("磁器口社区卫生服务中心", "2024年度报告", ext="pdf")` gives
"磁器口社区卫生服务中心_2024年度报告.pdf"; `attachment(...)` sends it with the RFC 5987
``filename*=utf-8''…`` form (Django's content_disposition_header), which every browser decodes.
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils.http import content_disposition_header

# Characters Windows refuses in a file name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# Windows allows 255 characters a name and about 260 a whole path (Downloads folder included).
STEM_LIMIT = 120


def download_name(*parts: object, ext: str) -> str:
    """The parts joined by "_" without what Windows refuses, cut to STEM_LIMIT, then .ext."""
    cleaned = [_UNSAFE.sub("", str(p)).strip(" .") for p in parts]
    stem = "_".join(p for p in cleaned if p)[:STEM_LIMIT].rstrip(" ._") or "download"
    return f"{stem}.{ext}"


def attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A response that the browser saves under `filename` (Chinese kept, via filename*)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
