from django.urls import path

from . import record_views, register_views, views
from .records import RECORD_KINDS

app_name = "centers"

centre = "centres/<slug:centre_slug>/"

urlpatterns = [
    path(centre, views.centre_detail, name="centre-detail"),
    path(centre + "members/", views.member_list, name="member-list"),
    path(centre + "members/add/", views.member_add, name="member-add"),
    path(centre + "members/<int:pk>/role/", views.member_role, name="member-role"),
    path(centre + "members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path(centre + "registration/", register_views.registration_detail, name="registration"),
    path(centre + "registration/edit/", register_views.registration_edit, name="registration-edit"),
    path(
        centre + "registration/statement/",
        register_views.registration_statement,
        name="registration-statement",
    ),
    path(centre + "registration/changes/add/", register_views.change_add, name="change-add"),
    path(
        centre + "registration/changes/<int:pk>/edit/",
        register_views.change_edit,
        name="change-edit",
    ),
    path(
        centre + "registration/changes/<int:pk>/delete/",
        register_views.change_delete,
        name="change-delete",
    ),
    path(
        centre + "departments/checklist/",
        register_views.department_checklist,
        name="department-checklist",
    ),
    path(centre + "history/", register_views.history, name="history"),
    path(
        "authorities/<slug:authority_slug>/centres/",
        views.authority_centre_list,
        name="authority-centre-list",
    ),
]

urlpatterns += record_views.record_urls(RECORD_KINDS)
