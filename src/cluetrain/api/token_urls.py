"""Settings → API tokens, mounted at /settings/tokens/; everyone's, for leads, under all/."""

from django.urls import path

from cluetrain.api import token_views

app_name = "tokens"

urlpatterns = [
    path("", token_views.index, name="index"),
    path("<int:pk>/revoke/", token_views.revoke, name="revoke"),
    path("all/", token_views.organization_index, name="organization"),
    path(
        "all/<int:pk>/revoke/",
        token_views.organization_revoke,
        name="organization_revoke",
    ),
]
