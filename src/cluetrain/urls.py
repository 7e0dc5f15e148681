from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cluetrain.core import views as core_views
from cluetrain.organizations.forms import LoginForm

admin.site.site_header = "Cluetrain administration"
admin.site.site_title = "Cluetrain admin"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("", include("cluetrain.sso.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("settings/guidelines/", include("cluetrain.guidelines.urls")),
    path("settings/webhooks/", include("cluetrain.hooks.urls")),
    path("settings/tokens/", include("cluetrain.api.token_urls")),
    path("settings/audit/", include("cluetrain.core.audit_urls")),
    path("", include("cluetrain.organizations.urls")),
    path("voices/", include("cluetrain.voices.urls")),
    path("publish/", include("cluetrain.publishing.urls")),
    path("", include("cluetrain.publishing.public_urls")),
    path("api/", include("cluetrain.api.urls")),
    path("notifications/", include("cluetrain.notifications.urls")),
    path("reviews/", include("cluetrain.reviews.urls")),
    path("inbox/", include("cluetrain.inbox.urls")),
    path("settings/listening/", include("cluetrain.listening.urls")),
    path("settings/triage/", include("cluetrain.triage.urls")),
    path("settings/service-levels/", include("cluetrain.inbox.settings_urls")),
    path("", include("cluetrain.inbox.availability_urls")),
    path("academy/practice/", include("cluetrain.practice.urls")),
    path("academy/cohorts/", include("cluetrain.cohorts.urls")),
    path("academy/agencies/", include("cluetrain.agencies.urls")),
    path("academy/", include("cluetrain.academy.urls")),
    path("knowledge/", include("cluetrain.knowledge.urls")),
    path("crisis/", include("cluetrain.crisis.urls")),
    path("", include("cluetrain.crisis.public_urls")),
    path("insights/campaigns/", include("cluetrain.campaigns.urls")),
    path("insights/", include("cluetrain.insights.urls")),
]
