from django.urls import path

from cluetrain.voices import views

app_name = "voices"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:voice_id>/", views.detail, name="detail"),
]
