from django.urls import path

from cluetrain.core import views as core_views

app_name = "triage"

urlpatterns = [
    path("", core_views.coming, {"area": "Triage"}, name="index"),
]
