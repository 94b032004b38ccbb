"""Time the annual report PDF: cold (first render in the process) and warm, on the demo centre.

Run:  .venv/bin/python bench/pdf.py      (needs the demo data: python manage.py load_demo)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from django_scopes import scopes_disabled  # noqa: E402

from centers.models import Centre  # noqa: E402
from reporting.models import AnnualFiling  # noqa: E402
from reporting.pdf import report_pdf  # noqa: E402


def main() -> None:
    with scopes_disabled():
        centre = Centre.objects.get(slug="ciqikou")
        filing = AnnualFiling.objects.get(centre=centre, year=2024)
        content = filing.versions.order_by("-number").first().content
        started = time.perf_counter()
        pdf = report_pdf(content=content, centre=centre, year=2024)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            report_pdf(content=content, centre=centre, year=2024)
            warm.append(time.perf_counter() - started)
    print(f"annual report PDF, {len(pdf):,} bytes")
    print(f"first render in this process: {cold:.2f} s")
    median = statistics.median(warm)
    print(f"warm, median of 5: {median:.2f} s (min {min(warm):.2f}, max {max(warm):.2f})")


if __name__ == "__main__":
    main()
