from django.urls import path

from cluetrain.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.index, name="index"),
    path("entries/<str:key>/<int:index>/", views.entry, name="entry"),
]
