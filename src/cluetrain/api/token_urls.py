"""Settings → API tokens, mounted at /settings/tokens/."""

from django.urls import path

from cluetrain.api import token_views

app_name = "tokens"

urlpatterns = [
    path("", token_views.index, name="index"),
    path("<int:pk>/revoke/", token_views.revoke, name="revoke"),
]
