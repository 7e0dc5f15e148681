from django.urls import path

from cluetrain.agencies import views

app_name = "agencies"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create_agency, name="create"),
    path("<int:pk>/", views.agency, name="agency"),
    path("<int:pk>/edit/", views.update_agency, name="update"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/milestones/", views.add_milestone, name="add_milestone"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
    path("milestones/<int:pk>/delete/", views.delete_milestone, name="delete_milestone"),
    path("pairings/", views.pair, name="pair"),
    path("pairings/<int:pk>/end/", views.unpair, name="unpair"),
    path("activity/", views.activity_page, name="activity"),
    path("shadowing/", views.shadowing, name="shadowing"),
    path("self-sufficiency/", views.self_sufficiency, name="self_sufficiency"),
    path("self-sufficiency.csv", views.self_sufficiency_csv, name="self_sufficiency_csv"),
]
