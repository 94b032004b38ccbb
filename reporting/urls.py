from django.urls import path

from . import (
    chain_views,
    dashboard_views,
    narrative_views,
    notification_views,
    numbercheck_views,
    party_views,
    scheme_views,
    summary_views,
    views,
    worklist_views,
)

app_name = "reporting"

base = "centres/<slug:centre_slug>/filings/<int:year>/"
schemes = "authorities/<slug:authority_slug>/schemes/"
scheme = schemes + "<int:pk>/"

urlpatterns = [
    path(base, views.filing_page, name="filing"),
    path(base + "open/", views.filing_open, name="filing-open"),
    path(base + "refresh/", views.filing_refresh, name="filing-refresh"),
    path(base + "narrative/", views.filing_narrative, name="filing-narrative"),
    path(
        base + "narrative/import/",
        narrative_views.filing_narrative_import,
        name="filing-narrative-import",
    ),
    path(
        base + "number-check/",
        numbercheck_views.filing_number_check,
        name="filing-number-check",
    ),
    path(base + "submit/", views.filing_submit, name="filing-submit"),
    path(base + "return/", views.filing_return, name="filing-return"),
    path(base + "approve/", views.filing_approve, name="filing-approve"),
    path(base + "publish/", views.filing_publish, name="filing-publish"),
    path(base + "reopen/", views.filing_reopen, name="filing-reopen"),
    path(base + "report/", views.filing_report, name="filing-report"),
    path(base + "pdf/", views.pdf_request, name="pdf-request"),
    path(base + "pdf/status/", views.pdf_status, name="pdf-status"),
    path(base + "pdf/download/", views.pdf_download, name="pdf-download"),
    path(base + "attachments/", chain_views.attachment_add, name="attachment-add"),
    path(base + "attachments/<int:pk>/", chain_views.attachment_download, name="attachment"),
    path(
        base + "attachments/<int:pk>/remove/",
        chain_views.attachment_remove,
        name="attachment-remove",
    ),
    path(base + "copy/", chain_views.filing_copy, name="filing-copy"),
    path(base + "online/filed/", chain_views.filing_filed, name="filing-filed"),
    path(
        base + "online/returned/",
        chain_views.filing_registry_return,
        name="filing-registry-return",
    ),
    path(base + "online/publicised/", chain_views.filing_publicised, name="filing-publicised"),
    path(
        "authorities/<slug:authority_slug>/filing-opinion/",
        chain_views.opinion_template,
        name="opinion-template",
    ),
    path(
        "authorities/<slug:authority_slug>/filings/<int:year>/",
        views.authority_filings,
        name="authority-filings",
    ),
    *(path(route, view, name=name) for route, name, view in summary_views.mounted()),
    *(path(route, view, name=name) for route, name, view in numbercheck_views.routes()),
    path(
        "authorities/<slug:authority_slug>/dashboard/",
        dashboard_views.dashboard_page,
        name="dashboard",
    ),
    path(
        "authorities/<slug:authority_slug>/dashboard/trend/",
        dashboard_views.dashboard_trend,
        name="dashboard-trend",
    ),
    path(
        "authorities/<slug:authority_slug>/dashboard/export.xlsx",
        dashboard_views.dashboard_export,
        name="dashboard-export",
    ),
    path(schemes, scheme_views.scheme_list, name="schemes"),
    path(schemes + "new/", scheme_views.scheme_create, name="scheme-create"),
    path(scheme, scheme_views.scheme_detail, name="scheme"),
    path(scheme + "edit/", scheme_views.scheme_edit, name="scheme-edit"),
    path(scheme + "items/new/", scheme_views.scheme_item_create, name="scheme-item-create"),
    path(
        scheme + "items/<int:item_pk>/edit/",
        scheme_views.scheme_item_edit,
        name="scheme-item-edit",
    ),
    path(
        scheme + "items/<int:item_pk>/delete/",
        scheme_views.scheme_item_delete,
        name="scheme-item-delete",
    ),
    path(scheme + "ranking/", scheme_views.ranking_page, name="scheme-ranking"),
    path(scheme + "ranking/compute/", scheme_views.ranking_compute, name="scheme-ranking-compute"),
    path(scheme + "ranking/export.xlsx", scheme_views.ranking_export, name="scheme-ranking-export"),
    path(scheme + "ranking/print/", scheme_views.ranking_print, name="scheme-ranking-print"),
    path(
        "authorities/<slug:authority_slug>/queue/",
        worklist_views.authority_queue,
        name="authority-queue",
    ),
    path("centres/<slug:centre_slug>/todo/", worklist_views.centre_todo, name="centre-todo"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/unread/",
        notification_views.notifications_unread,
        name="notifications-unread",
    ),
    path("notifications/read/", notification_views.notifications_read, name="notifications-read"),
    path("public/filings/<int:pk>/", views.public_filing, name="public-filing"),
    path("public/<slug:authority_slug>/<int:year>/", views.public_list, name="public-list"),
]

# 三会一课 (issue 18, part 5): a centre's compliance, and a commission's centre by centre.
urlpatterns += [
    path(
        "centres/<slug:centre_slug>/party/compliance/",
        party_views.centre_compliance,
        name="party-compliance",
    ),
    path(
        "authorities/<slug:authority_slug>/party-compliance/",
        party_views.authority_compliance,
        name="authority-party-compliance",
    ),
]
