"""Cluetrain settings, read from environment variables with safe defaults.

Every variable is listed in ``.env.example``. A value that cannot be used stops
start-up with ``ImproperlyConfigured`` naming the variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cluetrain.env import envbool, envchoice, envint, envlist, envstr, envtimezone
from cluetrain.secrets_store import make_fernet_key, make_secret_key, read_or_create

BASE_DIR = Path(__file__).resolve().parent

# --- Where Cluetrain keeps its files -------------------------------------------------------
DATA_DIR = Path(envstr("CLUETRAIN_DATA_DIR", str(Path.cwd() / "var"))).expanduser().resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"CLUETRAIN_DATA_DIR: cannot create {DATA_DIR}: {exc}") from exc

DEBUG = envbool("CLUETRAIN_DEBUG", False)
SECRET_KEY = envstr("CLUETRAIN_SECRET_KEY") or read_or_create(
    DATA_DIR / "secret_key", make_secret_key
)
# Fernet keys for credentials at rest; the first encrypts, all decrypt (rotation).
# The key file holds one key per line, newest first.
ENCRYPTION_KEYS = (
    envlist("CLUETRAIN_ENCRYPTION_KEYS", [])
    or read_or_create(DATA_DIR / "encryption_key", make_fernet_key).split()
)

for _key in ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "CLUETRAIN_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(make one with: cluetrain rotate_keys --print-new-key)"
        ) from exc

BASE_URL = envstr("CLUETRAIN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if urlsplit(BASE_URL).scheme not in {"http", "https"} or not urlsplit(BASE_URL).netloc:
    raise ImproperlyConfigured(
        f"CLUETRAIN_BASE_URL: expected http(s)://host[:port], got {BASE_URL!r}"
    )
ALLOWED_HOSTS = envlist("CLUETRAIN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CLUETRAIN_CSRF_TRUSTED_ORIGINS", [])
# Behind TLS (a reverse proxy that sets X-Forwarded-Proto): cookies only over https, HSTS, and
# plain-http requests redirected (the health check stays reachable over http for the proxy).
SECURE = envbool("CLUETRAIN_SECURE", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("CLUETRAIN_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("CLUETRAIN_HSTS_SUBDOMAINS", False)
    SECURE_SSL_REDIRECT = envbool("CLUETRAIN_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Scripts and styles only from Cluetrain's own files: no inline code, no eval, no other origin,
# so text that slips through escaping cannot run. Images may come from elsewhere (link cards
# show the linked page's picture; media may live on S3).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "cluetrain.core",
    "cluetrain.organizations",
    "cluetrain.voices",
    "cluetrain.publishing",
    "cluetrain.notifications",
    "cluetrain.guidelines",
    "cluetrain.reviews",
    "cluetrain.listening",
    "cluetrain.triage",
    "cluetrain.inbox",
    "cluetrain.crisis",
    "cluetrain.academy",
    "cluetrain.practice",
    "cluetrain.cohorts",
    "cluetrain.agencies",
    "cluetrain.knowledge",
    "cluetrain.insights",
    "cluetrain.campaigns",
    "cluetrain.backups",
    "cluetrain.hooks",
    "cluetrain.api",
    "cluetrain.sso",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cluetrain.core.security.SecurityHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cluetrain.organizations.middleware.CurrentOrganizationMiddleware",
    # Last, so it sees the authenticated user and can lock out a throttled login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cluetrain.urls"
WSGI_APPLICATION = "cluetrain.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cluetrain.organizations.context_processors.current_organization",
                "cluetrain.notifications.context_processors.unread",
                "cluetrain.crisis.context_processors.open_incidents",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# SQLite in WAL mode by default: readers never block the writer, and IMMEDIATE
# transactions take the write lock up front so two writers queue on the busy
# timeout instead of failing half-way with "database is locked". A 64 MB page cache and
# memory-mapped reads keep the inbox's indexes in memory at a million conversations; a WAL
# checkpointed every 10,000 pages (about 40 MB) instead of 1,000 writes the index pages that
# every batch of messages touches once per checkpoint rather than at nearly every commit.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; "
        "PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=10000;"
    ),
}
_database_url = envstr("DATABASE_URL")
if _database_url:
    try:
        _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # the parser raises several kinds for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL: cannot be parsed ({exc})") from exc
    _engine = str(_database.get("ENGINE", ""))
    if _engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            "DATABASE_URL: Cluetrain runs on PostgreSQL (postgres://user:pass@host:port/name) "
            f"or SQLite (sqlite:///path); got engine {_engine or 'unknown'}"
        )
    if _engine.endswith("postgresql") and not _database.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL: the PostgreSQL URL names no database")
    if _engine.endswith("sqlite3"):
        _database["OPTIONS"] = SQLITE_OPTIONS
        _database["CONN_MAX_AGE"] = 0
    DATABASES = {"default": _database}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "cluetrain.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, locks and rate limits ---------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"REDIS_URL: expected redis://host:port/db, got {REDIS_URL!r}")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cluetrain",
        },
        # The API's rate-limit counters: every web process counts against the same limit.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cluetrain-rate",
        },
    }
else:
    # The database cache is shared by the web server and the worker, which a
    # per-process memory cache would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cluetrain_cache",
        },
        # Rate-limit counters change on every API request: in the database that would be
        # several writes per call. Without Redis they are counted in each web process's memory
        # (one process in the embedded default), which is what one machine needs.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cluetrain-rate",
        },
    }

# --- Background work ----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
# A job claimed longer ago than this by a worker that no longer reports is put back.
JOB_STALE_AFTER = envint("CLUETRAIN_JOB_STALE_AFTER", 900, minimum=30)
JOB_MAX_ATTEMPTS = envint("CLUETRAIN_JOB_MAX_ATTEMPTS", 5, minimum=1)

# --- Publishing -------------------------------------------------------------------------------
# A worker holds a claimed delivery this long; one that died is replaced after it. Keep it well
# above the connectors' timeout (20 s) so a slow but live call is never taken over.
PUBLISH_LEASE_SECONDS = envint("CLUETRAIN_PUBLISH_LEASE", 120, minimum=1)
# Publishing threads per worker process: network calls wait on the network, not the CPU. On
# SQLite every write queues for one lock, and threads of one process would only add waiting.
PUBLISH_THREADS = envint(
    "CLUETRAIN_PUBLISH_THREADS",
    1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4,
    minimum=1,
)
# Attempts on transient network errors before a delivery is marked failed.
PUBLISH_MAX_ATTEMPTS = envint("CLUETRAIN_PUBLISH_MAX_ATTEMPTS", 8, minimum=1)
# The largest request body (an API post with its images as base64).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CLUETRAIN_MAX_REQUEST_MB", 25, minimum=1) * 1024 * 1024
# Link previews may fetch private or loopback addresses only when this is on (tests, intranets).
ALLOW_PRIVATE_URLS = envbool("CLUETRAIN_ALLOW_PRIVATE_URLS", False)

# --- Outgoing webhooks ------------------------------------------------------------------------
HOOK_MAX_ATTEMPTS = envint("CLUETRAIN_HOOK_MAX_ATTEMPTS", 8, minimum=1)
HOOK_BACKOFF_SECONDS = envint("CLUETRAIN_HOOK_BACKOFF", 30, minimum=0)
HOOK_TIMEOUT = envint("CLUETRAIN_HOOK_TIMEOUT", 10, minimum=1)
# A delivery claimed longer ago than this by a worker that stopped is sent again; keep it well
# above the timeout so a slow but live attempt is never doubled.
HOOK_STALE_AFTER = envint("CLUETRAIN_HOOK_STALE_AFTER", 120, minimum=10)

# --- Listening --------------------------------------------------------------------------------
# Listeners stop reading while an organisation has more untriaged messages than the high-water
# mark, and read again below the low one (nothing is lost: the cursor waits too).
LISTEN_HIGH_WATER = envint("CLUETRAIN_LISTEN_HIGH_WATER", 50_000, minimum=1)
LISTEN_LOW_WATER = envint("CLUETRAIN_LISTEN_LOW_WATER", LISTEN_HIGH_WATER * 4 // 5, minimum=1)
# Where the DID documents of did:plc accounts are read, to find a stream author's home server
# and handle when the stream comes from a relay rather than the author's own server.
PLC_DIRECTORY = envstr("CLUETRAIN_PLC_DIRECTORY", "https://plc.directory").rstrip("/")

# --- People and sign-in -----------------------------------------------------------------------
AUTH_USER_MODEL = "organizations.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_VALID_DAYS = envint("CLUETRAIN_INVITATION_VALID_DAYS", 14, minimum=1)

AXES_FAILURE_LIMIT = envint("CLUETRAIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("CLUETRAIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The API's rate limits: requests per person (all their tokens and their session together), and
# per address for requests without a valid caller. "<count>/<s|min|h|d>".
API_RATE = envstr("CLUETRAIN_API_RATE", "600/min")
API_ANON_RATE = envstr("CLUETRAIN_API_ANON_RATE", "60/min")
for _name, _rate in (("CLUETRAIN_API_RATE", API_RATE), ("CLUETRAIN_API_ANON_RATE", API_ANON_RATE)):
    if not re.fullmatch(r"[1-9][0-9]*/[0-9]*(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name}: expected <count>/<s|min|h|d>, got {_rate!r}")

# --- Time and language ------------------------------------------------------------------------
TIME_ZONE = envtimezone("CLUETRAIN_TIME_ZONE", "UTC")
USE_TZ = True
LANGUAGE_CODE = "en"
USE_I18N = True

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_HOST = envstr("CLUETRAIN_EMAIL_HOST")
DEFAULT_FROM_EMAIL = envstr("CLUETRAIN_EMAIL_FROM", "Cluetrain <cluetrain@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("CLUETRAIN_EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = envstr("CLUETRAIN_EMAIL_USER")
    EMAIL_HOST_PASSWORD = envstr("CLUETRAIN_EMAIL_PASSWORD")
    EMAIL_USE_TLS = envbool("CLUETRAIN_EMAIL_TLS", True)
else:
    # Without a mail server, messages land as files an administrator can read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

# --- Media on S3-compatible storage (AWS S3, MinIO, Ceph, Garage, …) -------------------------
# With a bucket, uploaded media goes there instead of DATA_DIR/media, so web processes on
# several machines see the same files. Without keys, boto3's own chain (AWS_* variables, an
# instance role) is used. A public URL (a CDN or the bucket's public address) gives lasting
# links, which feeds and webhooks need; without one, links are signed and expire.
MEDIA_S3_BUCKET = envstr("CLUETRAIN_MEDIA_S3_BUCKET")
_s3_names = ("ENDPOINT", "REGION", "ACCESS_KEY", "SECRET_KEY", "PREFIX", "PUBLIC_URL")
if not MEDIA_S3_BUCKET:
    for _name in _s3_names:
        if envstr(f"CLUETRAIN_MEDIA_S3_{_name}"):
            raise ImproperlyConfigured(
                f"CLUETRAIN_MEDIA_S3_BUCKET: required when CLUETRAIN_MEDIA_S3_{_name} is set"
            )
else:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", MEDIA_S3_BUCKET):
        raise ImproperlyConfigured(
            "CLUETRAIN_MEDIA_S3_BUCKET: a bucket name is 3 to 63 lower-case letters, digits, "
            f"dots and hyphens, got {MEDIA_S3_BUCKET!r}"
        )
    _s3 = {name: envstr(f"CLUETRAIN_MEDIA_S3_{name}").strip() for name in _s3_names}
    for _name in ("ENDPOINT", "PUBLIC_URL"):
        _url = urlsplit(_s3[_name])
        if _s3[_name] and (_url.scheme not in {"http", "https"} or not _url.netloc):
            raise ImproperlyConfigured(
                f"CLUETRAIN_MEDIA_S3_{_name}: expected http(s)://host[:port], got {_s3[_name]!r}"
            )
    if bool(_s3["ACCESS_KEY"]) != bool(_s3["SECRET_KEY"]):
        raise ImproperlyConfigured(
            "CLUETRAIN_MEDIA_S3_ACCESS_KEY and CLUETRAIN_MEDIA_S3_SECRET_KEY: set both or neither"
        )
    _prefix = _s3["PREFIX"].strip("/")
    if ".." in _prefix.split("/"):
        raise ImproperlyConfigured(f"CLUETRAIN_MEDIA_S3_PREFIX: no '..' allowed, got {_prefix!r}")
    _public = urlsplit(_s3["PUBLIC_URL"])
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": _s3["ENDPOINT"] or None,
            "region_name": _s3["REGION"] or None,
            "access_key": _s3["ACCESS_KEY"] or None,
            "secret_key": _s3["SECRET_KEY"] or None,
            "location": _prefix,
            # MinIO and most self-hosted stores want bucket names in the path, not the host.
            "addressing_style": envchoice(
                "CLUETRAIN_MEDIA_S3_ADDRESSING",
                "path" if _s3["ENDPOINT"] else "auto",
                {"path", "virtual", "auto"},
            ),
            "custom_domain": (_public.netloc + _public.path.rstrip("/")) or None,
            "url_protocol": f"{_public.scheme or 'https'}:",
            "querystring_auth": not _s3["PUBLIC_URL"],
            "file_overwrite": False,
            "default_acl": None,
        },
    }
WHITENOISE_USE_FINDERS = DEBUG

LOG_LEVEL = envchoice("CLUETRAIN_LOG_LEVEL", "info", {"debug", "info", "warning", "error"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # httpx logs every request's full URL at INFO; a Slack or Teams webhook's URL is its
        # secret, so keep those lines out of the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
