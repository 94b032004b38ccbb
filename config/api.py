"""The API's routes (/api/v1/, namespace "api-v1"): each app's endpoints, the OpenAPI schema and
its documentation page. Unknown /api/ addresses answer the API's JSON 404 (config.urls)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from centers import api as centres
from reporting import api as reporting
from services import api as services
from staff import api as staff

app_name = "api-v1"

centre = "centres/<slug:centre_slug>/"
commission = "commissions/<slug:authority_slug>/"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our static files; its page carries the CSP nonce (core/api_docs.html)."""

    template_name = "core/api_docs.html"
    url_name = "api-v1:schema"


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    path("periods/", services.PeriodList.as_view(), name="period-list"),
    path("commissions/", centres.CommissionList.as_view(), name="commission-list"),
    path(commission, centres.CommissionDetail.as_view(), name="commission-detail"),
    path(commission + "figures/", services.CommissionFigures.as_view(), name="commission-figures"),
    path(
        commission + "completeness/",
        services.CommissionCompleteness.as_view(),
        name="commission-completeness",
    ),
    path(commission + "filings/", reporting.CommissionFilings.as_view(), name="commission-filings"),
    path(
        commission + "headcount/", staff.CommissionHeadcount.as_view(), name="commission-headcount"
    ),
    path("centres/", centres.CentreList.as_view(), name="centre-list"),
    path(centre, centres.CentreDetail.as_view(), name="centre-detail"),
    path(centre + "indicators/", services.CentreIndicators.as_view(), name="centre-indicators"),
    path(centre + "periods/", services.CentrePeriods.as_view(), name="centre-periods"),
    path(centre + "values/", services.CentreValues.as_view(), name="centre-values"),
    path(centre + "figures/", services.CentreFigures.as_view(), name="centre-figures"),
    path(centre + "filings/", reporting.CentreFilings.as_view(), name="centre-filings"),
    path(centre + "headcount/", staff.CentreHeadcount.as_view(), name="centre-headcount"),
    path("dataValueSets/", services.DataValueSets.as_view(), name="data-value-sets"),
]
