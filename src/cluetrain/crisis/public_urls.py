"""The public status page of an incident and its feed."""

from django.urls import path

from cluetrain.crisis import public

app_name = "crisis_public"

urlpatterns = [
    path("status/<str:token>/", public.status, name="status"),
    path("status/<str:token>.atom", public.atom, name="feed"),
]
