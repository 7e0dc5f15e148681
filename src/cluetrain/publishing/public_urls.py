"""Pages anyone may read without signing in: public feeds and the media they link to."""

from django.urls import path, register_converter

from cluetrain.publishing import public


class FeedKind:
    regex = "atom|rss"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedKind, "feedkind")

app_name = "public"

urlpatterns = [
    path("media/<path:name>", public.media, name="media"),
    path("feeds/<slug:org>.<feedkind:kind>", public.organization_feed, name="organization_feed"),
    path(
        "feeds/<slug:org>/voices/<int:voice_id>.<feedkind:kind>",
        public.voice_feed,
        name="voice_feed",
    ),
    path(
        "feeds/<slug:org>/departments/<slug:department>.<feedkind:kind>",
        public.department_feed,
        name="department_feed",
    ),
]
