from django.urls import path

from cluetrain.triage import views

app_name = "triage"

urlpatterns = [
    path("", views.index, name="index"),
    path("topics/new/", views.edit_topic, name="new_topic"),
    path("topics/<int:pk>/", views.edit_topic, name="edit_topic"),
    path("topics/<int:pk>/delete/", views.delete_topic, name="delete_topic"),
    path("retrain/", views.retrain, name="retrain"),
]
