"""The REST API's URLs (django-ninja), mounted at /api/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
