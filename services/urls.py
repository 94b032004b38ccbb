from django.urls import path

from centers.record_views import record_urls

from . import (
    approval_views,
    catalogue_views,
    open_month_views,
    profile_views,
    target_views,
    views,
)
from .records import ACTIVITY_KINDS

app_name = "services"

base = "centres/<slug:centre_slug>/tallies/"
catalogue = "authorities/<slug:authority_slug>/catalogue/"
profiles = base + "profiles/"
authority_profiles = "authorities/<slug:authority_slug>/import-profiles/"

urlpatterns = [
    path(base, views.tally_home, name="tally-home"),
    path(base + "<int:year>/<slug:category>/", views.tally_grid, name="tally-grid"),
    path(base + "cell/", views.tally_cell, name="tally-cell"),
    path(base + "cell/detail/", views.tally_cell_detail, name="tally-cell-detail"),
    path(base + "cell/comment/", views.tally_cell_comment, name="tally-cell-comment"),
    path(base + "<int:year>/<int:month>/submit/", views.month_submit, name="month-submit"),
    path(base + "exceptions/", views.lock_exceptions, name="lock-exceptions"),
    path(base + "exceptions/grant/", views.lock_exception_grant, name="lock-exception-grant"),
    path(
        base + "open-requests/new/",
        open_month_views.open_month_request,
        name="open-month-request",
    ),
    path(
        base + "open-requests/<int:pk>/grant/",
        open_month_views.open_month_request_grant,
        name="open-month-request-grant",
    ),
    path(
        base + "open-requests/<int:pk>/decline/",
        open_month_views.open_month_request_decline,
        name="open-month-request-decline",
    ),
    path(base + "figures/", views.centre_figures, name="centre-figures"),
    path(base + "<int:year>/export.xlsx", views.tally_export, name="tally-export"),
    path(base + "import/", views.tally_import_upload, name="tally-import"),
    path(base + "import/<int:pk>/", views.tally_import_preview, name="tally-import-preview"),
    path(
        base + "import/<int:pk>/confirm/", views.tally_import_confirm, name="tally-import-confirm"
    ),
    path(
        "authorities/<slug:authority_slug>/tallies/<int:year>/",
        views.completeness,
        name="completeness",
    ),
    path(
        "authorities/<slug:authority_slug>/tallies/<int:year>/<int:month>/review/",
        approval_views.month_review,
        name="month-review",
    ),
    path(
        "authorities/<slug:authority_slug>/open-month-requests/",
        open_month_views.open_month_requests,
        name="open-month-requests",
    ),
    path(
        "authorities/<slug:authority_slug>/figures/",
        views.authority_figures,
        name="authority-figures",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/<int:year>/",
        target_views.target_grid,
        name="targets",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/<int:year>/cell/",
        target_views.target_cell,
        name="target-cell",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/<int:year>/export.xlsx",
        target_views.target_export,
        name="target-export",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/import/",
        target_views.target_import_upload,
        name="target-import",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/import/<int:pk>/",
        target_views.target_import_preview,
        name="target-import-preview",
    ),
    path(
        "authorities/<slug:authority_slug>/targets/import/<int:pk>/confirm/",
        target_views.target_import_confirm,
        name="target-import-confirm",
    ),
    # A commission's catalogue of definitions (services/catalogue_views.py).
    path(catalogue, catalogue_views.catalogue, name="catalogue"),
    path(
        catalogue + "<slug:kind>/new/", catalogue_views.definition_create, name="catalogue-create"
    ),
    path(
        catalogue + "<slug:kind>/<int:pk>/edit/",
        catalogue_views.definition_edit,
        name="catalogue-edit",
    ),
    path(
        catalogue + "<slug:kind>/<int:pk>/retire/",
        catalogue_views.definition_retire,
        name="catalogue-retire",
    ),
    path(
        catalogue + "<slug:kind>/<int:pk>/delete/",
        catalogue_views.definition_delete,
        name="catalogue-delete",
    ),
    # Import profiles for other systems' exports, and imports through them (profile_views.py).
    path(profiles, profile_views.profile_list, name="profile-list"),
    path(profiles + "new/", profile_views.profile_create, name="profile-create"),
    path(profiles + "copy/", profile_views.profile_copy, name="profile-copy"),
    path(profiles + "<int:pk>/edit/", profile_views.profile_edit, name="profile-edit"),
    path(profiles + "<int:pk>/delete/", profile_views.profile_delete, name="profile-delete"),
    path(base + "profile-import/", profile_views.profile_import_upload, name="profile-import"),
    path(
        base + "profile-import/<int:pk>/",
        profile_views.profile_import_preview,
        name="profile-import-preview",
    ),
    path(
        base + "profile-import/<int:pk>/confirm/",
        profile_views.profile_import_confirm,
        name="profile-import-confirm",
    ),
    path(
        authority_profiles,
        profile_views.authority_profile_list,
        name="authority-profile-list",
    ),
    path(
        authority_profiles + "new/",
        profile_views.authority_profile_create,
        name="authority-profile-create",
    ),
    path(
        authority_profiles + "copy/",
        profile_views.authority_profile_copy,
        name="authority-profile-copy",
    ),
    path(
        authority_profiles + "<int:pk>/edit/",
        profile_views.authority_profile_edit,
        name="authority-profile-edit",
    ),
    path(
        authority_profiles + "<int:pk>/delete/",
        profile_views.authority_profile_delete,
        name="authority-profile-delete",
    ),
    *record_urls(ACTIVITY_KINDS),
]
