from django.urls import path

from cluetrain.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("read/", views.mark_read, name="read"),
]
