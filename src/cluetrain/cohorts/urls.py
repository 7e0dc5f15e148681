from django.urls import path

from cluetrain.cohorts import views

app_name = "cohorts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("alumni/", views.alumni, name="alumni"),
    path("alumni/ask/", views.ask, name="ask"),
    path("<int:pk>/", views.cohort, name="cohort"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/rota/", views.rota, name="rota"),
    path("<int:pk>/shifts/", views.add_shift, name="add_shift"),
    path("shifts/<int:pk>/remove/", views.remove_shift, name="remove_shift"),
    path("members/<int:pk>/place/", views.place, name="place"),
    path("members/<int:pk>/mentor/", views.choose_mentor, name="choose_mentor"),
    path("members/<int:pk>/offer/", views.offer_mentoring, name="offer_mentoring"),
]
