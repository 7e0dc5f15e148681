from django.urls import path

from cluetrain.cohorts import views

app_name = "cohorts"

urlpatterns = [
    path("", views.index, name="index"),
]
