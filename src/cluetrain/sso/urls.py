from django.urls import path

from cluetrain.sso import views

app_name = "sso"

urlpatterns = [
    path("settings/sign-on/", views.settings_page, name="settings"),
    path("accounts/sso/", views.find, name="find"),
    path("accounts/sso/<slug:slug>/", views.start, name="start"),
    path("accounts/sso/<slug:slug>/callback/", views.callback, name="callback"),
]
