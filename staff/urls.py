from django.urls import path

from . import party_views, record_import_views, record_imports, record_views, views

app_name = "staff"

base = "centres/<slug:centre_slug>/staff/"

urlpatterns = [
    path(base, views.roster, name="roster"),
    path(base + "export.xlsx", views.roster_export, name="roster-export"),
    path(base + "add/", views.staff_add, name="staff-add"),
    path(base + "<int:pk>/edit/", views.staff_edit, name="staff-edit"),
    path(base + "<int:pk>/depart/", views.staff_depart, name="staff-depart"),
    path(base + "people/<int:pk>/rehire/", views.staff_rehire, name="staff-rehire"),
    path(base + "import/", views.import_upload, name="import-upload"),
    path(base + "import/<int:pk>/", views.import_preview, name="import-preview"),
    path(base + "import/<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
    path(base + "figures/", views.figures, name="figures"),
]

# The party branch (党支部; issue 18, part 5).
party = "centres/<slug:centre_slug>/party/"
urlpatterns += [
    path(party, party_views.party_page, name="party"),
    path(party + "branch/", party_views.branch_edit, name="party-branch"),
    path(party + "members/add/", party_views.member_add, name="party-member-add"),
    path(party + "members/<int:pk>/edit/", party_views.member_edit, name="party-member-edit"),
    path(party + "members/<int:pk>/delete/", party_views.member_delete, name="party-member-delete"),
    path(party + "committee/add/", party_views.term_add, name="party-term-add"),
    path(party + "committee/<int:pk>/edit/", party_views.term_edit, name="party-term-edit"),
    path(party + "committee/<int:pk>/delete/", party_views.term_delete, name="party-term-delete"),
]

# Training, practising registrations, title promotions and 编制 (issue 18, parts 1–4).
urlpatterns += [
    path(base + "people/<int:pk>/", record_views.person_page, name="person"),
    path(base + "training/", record_views.training_list, name="training-list"),
    path(base + "licences/", record_views.licence_list, name="licence-list"),
    path(base + "promotions/", record_views.promotion_list, name="promotion-list"),
    path(
        base + "training/<int:pk>/certificate/",
        record_views.training_certificate,
        name="training-certificate",
    ),
    path(base + "establishment/", record_views.establishment_page, name="establishment"),
    path(base + "establishment/add/", record_views.quota_add, name="quota-add"),
    path(base + "establishment/<int:pk>/edit/", record_views.quota_edit, name="quota-edit"),
    path(base + "establishment/<int:pk>/delete/", record_views.quota_delete, name="quota-delete"),
]
for _section, _path in (
    ("training", "training"),
    ("licence", "licences"),
    ("promotion", "promotions"),
):
    _kind = record_views.SECTIONS[_section]
    urlpatterns += [
        path(
            f"{base}people/<int:pk>/{_path}/add/",
            record_views.add_view(_kind),
            name=f"{_section}-add",
        ),
        path(
            f"{base}{_path}/<int:pk>/edit/", record_views.edit_view(_kind), name=f"{_section}-edit"
        ),
        path(
            f"{base}{_path}/<int:pk>/delete/",
            record_views.delete_view(_kind),
            name=f"{_section}-delete",
        ),
    ]
for _kind_name, _path in (
    (record_imports.TRAINING, "training"),
    (record_imports.LICENCES, "licences"),
):
    _prefix = record_import_views.KINDS[_kind_name][0]
    urlpatterns += [
        path(
            f"{base}{_path}/import/",
            record_import_views.upload_view(_kind_name),
            name=f"{_prefix}-import",
        ),
        path(
            f"{base}{_path}/import/<int:pk>/",
            record_import_views.preview_view(_kind_name),
            name=f"{_prefix}-import-preview",
        ),
        path(
            f"{base}{_path}/import/<int:pk>/confirm/",
            record_import_views.confirm_view(_kind_name),
            name=f"{_prefix}-import-confirm",
        ),
    ]
