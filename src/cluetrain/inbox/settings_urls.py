from django.urls import path

from cluetrain.inbox import settings_views

app_name = "service_levels"

urlpatterns = [
    path("", settings_views.index, name="index"),
    path("edit/", settings_views.edit, name="edit"),
    path("<int:pk>/delete/", settings_views.delete, name="delete"),
]
