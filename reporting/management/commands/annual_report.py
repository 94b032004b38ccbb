"""manage.py annual_report <统一社会信用代码 | id | slug> <year> --format pdf|html -o FILE"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation
from django_scopes import scopes_disabled

from centers.models import Centre
from reporting import actions
from reporting.models import AnnualFiling
from reporting.pdf import report_html, report_pdf
from reporting.prefill import narrative_draft, prefill


class Command(BaseCommand):
    help = (
        "Write a centre's annual report (the latest submitted version, else the draft) to a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("centre", help="统一社会信用代码, slug or numeric id of the centre")
        parser.add_argument("year", type=int)
        parser.add_argument("--format", choices=["pdf", "html"], default="pdf")
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, centre, year, format, output, **options):
        with scopes_disabled(), translation.override(settings.LANGUAGE_CODE):  # a batch tool
            found = self._centre(centre)
            filing = AnnualFiling.objects.filter(centre=found, year=year).first()
            content = self._content(found, year, filing)
            kwargs = {"content": content, "centre": found, "year": year}
            data = report_pdf(**kwargs) if format == "pdf" else report_html(**kwargs).encode()
        Path(output).write_bytes(data)
        self.stdout.write(f"{found.name} {year}: {len(data):,} bytes written to {output}")

    def _centre(self, key: str) -> Centre:
        query = Q(credit_code=key.upper()) | Q(slug=key)
        if key.isdigit():
            query |= Q(pk=int(key))
        found = Centre.objects.filter(query).first()
        if found is None:
            raise CommandError(f"No centre with code, slug or id {key!r}.")
        return found

    def _content(self, centre: Centre, year: int, filing: AnnualFiling | None) -> dict:
        if filing is not None:
            latest = filing.versions.order_by("-number").first()
            return latest.content if latest else actions.content_of(filing)
        return {**prefill(centre, year), "narrative": narrative_draft(centre, year), "year": year}
