from django.urls import path

from cluetrain.voices import views

app_name = "voices"

urlpatterns = [
    path("", views.index, name="index"),
    path("mastodon/callback/", views.mastodon_callback, name="mastodon_callback"),
    path("<int:voice_id>/", views.detail, name="detail"),
]
