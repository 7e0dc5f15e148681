from django.urls import path

from cluetrain.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.index, name="index"),
    path("compose/", views.compose, name="compose"),
    path("check/", views.check, name="check"),
    path("link-preview/", views.link_preview, name="link_preview"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("posts/<int:pk>/retry/", views.retry, name="retry"),
    path("posts/<int:pk>/edit/", views.edit, name="edit"),
    path("posts/<int:pk>/delete/", views.delete, name="delete"),
    path("posts/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("calendar/", views.calendar, name="calendar"),
    path("voices/<int:voice_id>/queue/", views.queue, name="queue"),
    path("entries/<str:key>/<int:index>/", views.entry, name="entry"),
]
