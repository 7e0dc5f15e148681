from django.urls import path

from cluetrain.listening import views

app_name = "listening"

urlpatterns = [
    path("", views.index, name="index"),
    path("sources/new/", views.edit, name="new"),
    path("sources/<int:source_id>/", views.edit, name="edit"),
    path("sources/<int:source_id>/switch/", views.toggle, name="toggle"),
]
