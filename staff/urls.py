from django.urls import path

from . import views

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
