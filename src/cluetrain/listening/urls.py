from django.urls import path

from cluetrain.core import views as core_views

app_name = "listening"

urlpatterns = [
    path("", core_views.coming, {"area": "Listening"}, name="index"),
]
