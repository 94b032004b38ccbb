from django.urls import path

from . import views

app_name = "centers"

centre = "centres/<slug:centre_slug>/"

urlpatterns = [
    path(centre, views.centre_detail, name="centre-detail"),
    path(centre + "members/", views.member_list, name="member-list"),
    path(centre + "members/add/", views.member_add, name="member-add"),
    path(centre + "members/<int:pk>/role/", views.member_role, name="member-role"),
    path(centre + "members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path(
        "authorities/<slug:authority_slug>/centres/",
        views.authority_centre_list,
        name="authority-centre-list",
    ),
]
