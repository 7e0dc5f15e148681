from django.urls import path

from cluetrain.agencies import views

app_name = "agencies"

urlpatterns = [
    path("", views.index, name="index"),
]
