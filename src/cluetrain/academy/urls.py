from django.urls import path

from cluetrain.academy import views

app_name = "academy"

urlpatterns = [
    path("", views.index, name="index"),
]
