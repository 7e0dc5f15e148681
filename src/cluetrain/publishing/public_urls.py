"""Pages anyone may read without signing in: public feeds and the media they link to."""

from django.urls import path

from cluetrain.publishing import public

app_name = "public"

urlpatterns = [
    path("media/<path:name>", public.media, name="media"),
]
