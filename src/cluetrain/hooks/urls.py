from django.urls import path

from cluetrain.hooks import views

app_name = "hooks"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.endpoint, name="endpoint"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("deliveries/<int:pk>/redeliver/", views.redeliver, name="redeliver"),
]
