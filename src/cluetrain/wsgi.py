"""WSGI entry point for any WSGI server (``cluetrain serve`` uses Waitress)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluetrain.settings")
application = get_wsgi_application()
