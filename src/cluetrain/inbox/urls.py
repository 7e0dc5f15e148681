from django.urls import path

from cluetrain.core import views as core_views

app_name = "inbox"

urlpatterns = [
    path("", core_views.coming, {"area": "Inbox"}, name="index"),
]
