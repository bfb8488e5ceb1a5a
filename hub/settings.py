"""Settings, read once from the environment (django-environ); safe development defaults."""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    # Development only: hub.checks refuses to run without a real key when DEBUG is off.
    SECRET_KEY = "dev-insecure-webhook-hub-secret-key-change-me"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "hub",
    "rules",
    "delivery",
    "inbound",
    "dashboard",
]

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics answer before the host check, sessions and CSRF
    # (probes and scrapers call by IP address, every second).
    "hub.ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The two inbound webhook URLs answer here, after the HTTPS redirect and security headers
    # but before sessions, CSRF (their views are exempt), auth and messages: machines post
    # there, and the skipped middleware cost a third of a bare request (docs/inbound.md).
    "inbound.middleware.InboundMiddleware",
    # POST /api/emit/ with a Token header and no session cookie (a machine) answers here too:
    # DRF's view, authentication and answers unchanged, the skipped middleware cost about a
    # fifth of an emit's CPU; browsers (session cookie) take the whole stack (docs/operations.md).
    "hub.api.middleware.ApiTokenMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite by default (WAL + busy timeout + IMMEDIATE transactions, so the web server and the
# django-q2 workers never see "database is locked"); PostgreSQL through DATABASE_URL.
# An empty DATABASE_URL means "not set" (the SQLite default), as for REDIS_URL.
_database_url = (
    env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'var' / 'hub.sqlite3'}"
)
_db = env.db_url_config(_database_url)
if "ENGINE" not in _db:
    raise ImproperlyConfigured("DATABASE_URL is not a database URL, e.g. postgres://u:p@host/db")
DATABASES = {"default": _db}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=30000;"
            ),
        }
    )
    _db["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
else:
    # django-q2 reconnects per task without this: ~30 tasks/s instead of ~400 on PostgreSQL.
    _db["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
    _db["CONN_HEALTH_CHECKS"] = True
    # An unreachable server fails a connection in seconds (readiness probe, doctor), not after
    # the operating system's TCP timeout; a connect_timeout in DATABASE_URL wins.
    _db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DJANGO_DB_CONNECT_TIMEOUT", default=5)
    )

# Accepted inbound requests are stored by one writer thread per web process, the rows of
# concurrent requests in one INSERT and one commit (PostgreSQL with the Redis broker; each is
# answered only after its row is committed): docs/inbound.md, "Performance".
HUB_INBOUND_BATCH_WRITES = env.bool("HUB_INBOUND_BATCH_WRITES", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []

LOGIN_URL = "admin:login"

# HTTPS behind a reverse proxy (docs/operations.md): trust its X-Forwarded-Proto, secure cookies,
# HSTS and the redirect - all off by default so plain-HTTP development keeps working.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hub.api.authentication.TokenAuthentication",  # DRF's, its lookup prepared once
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hub.api.permissions.ModelPermissions"],
    "DEFAULT_PARSER_CLASSES": [
        "hub.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hub.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Webhook Event Engine API",
    "DESCRIPTION": "Configure Odoo connections, rules and inbound sources; read logs and history.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The three standard event codes appear as a list and as a single choice: one schema name.
    "ENUM_NAME_OVERRIDES": {"StandardEventEnum": "hub.models.STANDARD_EVENTS"},
}

# --- Queue (django-q2) ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER: dict = {
    "name": "hub",
    "workers": env.int("HUB_Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 1,  # our retries live in our tables (delivery.WebhookRetry)
    "queue_limit": 100,
    "bulk": 10,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "label": "Task queue",
    "sync": env.bool("HUB_Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.2

# --- Hub --------------------------------------------------------------------------------------
HUB_VERSION = "0.1.0"
# Fernet keys (comma separated). The first encrypts; all decrypt, so keys can rotate.
HUB_ENCRYPTION_KEYS = env.list("HUB_ENCRYPTION_KEYS", default=[])
HUB_ALLOW_PRIVATE_TARGETS = env.bool("HUB_ALLOW_PRIVATE_TARGETS", default=False)
HUB_INBOUND_MAX_BYTES = env.int("HUB_INBOUND_MAX_BYTES", default=1024 * 1024)
HUB_LOG_RETENTION_DAYS = env.int("HUB_LOG_RETENTION_DAYS", default=30)
HUB_FAILED_LOG_RETENTION_DAYS = env.int("HUB_FAILED_LOG_RETENTION_DAYS", default=90)
# The port the web server listens on (`make run`, `manage.py serve`); the public URL follows it
# unless HUB_PUBLIC_URL is set (behind a proxy: the proxy's URL).
HUB_PORT = env.int("HUB_PORT", default=8000)
HUB_BIND = env.str("HUB_BIND", default="127.0.0.1")
HUB_PUBLIC_URL = env.str("HUB_PUBLIC_URL", default="") or f"http://127.0.0.1:{HUB_PORT}"
# Inbound: rejected requests are stored capped (per source per minute, newest N kept, body prefix).
HUB_INBOUND_REJECTED_PER_MINUTE = env.int("HUB_INBOUND_REJECTED_PER_MINUTE", default=20)
HUB_INBOUND_REJECTED_KEEP = env.int("HUB_INBOUND_REJECTED_KEEP", default=1000)
HUB_INBOUND_REJECTED_BODY_BYTES = env.int("HUB_INBOUND_REJECTED_BODY_BYTES", default=4096)
# Seconds a web process reuses an inbound source it read (0: read it on every request); a saved
# source takes effect at once in the process that saved it, elsewhere within this.
HUB_INBOUND_SOURCE_CACHE_SECONDS = env.float("HUB_INBOUND_SOURCE_CACHE_SECONDS", default=2.0)
# Inbound handler retries on transient failures (Odoo down): initial s, x multiplier, cap s.
HUB_INBOUND_RETRY_MAX_ATTEMPTS = env.int("HUB_INBOUND_RETRY_MAX_ATTEMPTS", default=8)
HUB_INBOUND_RETRY_INITIAL = env.int("HUB_INBOUND_RETRY_INITIAL", default=60)
HUB_INBOUND_RETRY_MULTIPLIER = env.float("HUB_INBOUND_RETRY_MULTIPLIER", default=2.0)
HUB_INBOUND_RETRY_CAP = env.int("HUB_INBOUND_RETRY_CAP", default=3600)
# Odoo poller: write_date overlap window (s), page size, delete reconciliation period (s),
# pause between backfill pages (s).
HUB_ODOO_POLL_OVERLAP = env.int("HUB_ODOO_POLL_OVERLAP", default=300)
HUB_ODOO_BATCH_SIZE = env.int("HUB_ODOO_BATCH_SIZE", default=500)
HUB_ODOO_RECONCILE_SECONDS = env.int("HUB_ODOO_RECONCILE_SECONDS", default=600)
# Cheap polls (docs/odoo.md): each poll scans ids and write_date of the last RECENT_WINDOW
# seconds; the whole overlap is scanned every OVERLAP_SCAN_SECONDS.
HUB_ODOO_RECENT_WINDOW = env.int("HUB_ODOO_RECENT_WINDOW", default=10)
HUB_ODOO_OVERLAP_SCAN_SECONDS = env.float("HUB_ODOO_OVERLAP_SCAN_SECONDS", default=60)
HUB_ODOO_BACKFILL_PAUSE = env.float("HUB_ODOO_BACKFILL_PAUSE", default=0.5)
# Dotted paths allowed as payload transform hooks and inbound python handlers.
HUB_TRANSFORM_HOOKS = env.list("HUB_TRANSFORM_HOOKS", default=[])
HUB_INBOUND_HANDLERS = env.list("HUB_INBOUND_HANDLERS", default=[])
HUB_OPS_EMAIL = env.str("HUB_OPS_EMAIL", default="")
# Delivery (docs/delivery.md): claim lease (s, renewed every third of it while sending),
# attempts in flight per sender process across all lanes.
HUB_DELIVERY_LEASE = env.int("HUB_DELIVERY_LEASE", default=60)
HUB_DELIVERY_CONCURRENCY = env.int("HUB_DELIVERY_CONCURRENCY", default=100)
# Seconds a queue task's sender keeps looking for new deliveries once it has none (so a steady
# stream is sent by running senders instead of one task start per event); 0 = return at once.
HUB_DELIVERY_LINGER = env.float("HUB_DELIVERY_LINGER", default=1.0)
HUB_OPS_WEBHOOK_URL = env.str("HUB_OPS_WEBHOOK_URL", default="")

# --- Operations (docs/operations.md) --------------------------------------------------------
# Production process set (`manage.py serve`): gunicorn workers x threads (= the web role's
# database connections), seconds a process gets to stop before it is killed.
HUB_WEB_WORKERS = env.int("HUB_WEB_WORKERS", default=2)
HUB_WEB_THREADS = env.int("HUB_WEB_THREADS", default=4)
HUB_WEB_TIMEOUT = env.int("HUB_WEB_TIMEOUT", default=30)
HUB_STOP_GRACE = env.float("HUB_STOP_GRACE", default=4.0)
# Private webhook targets in production need this second, explicit switch.
HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION = env.bool(
    "HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION", default=False
)
# /metrics: a bearer token, or client addresses/networks allowed without one.
HUB_METRICS_TOKEN = env.str("HUB_METRICS_TOKEN", default="")
HUB_METRICS_ALLOW = env.list("HUB_METRICS_ALLOW", default=["127.0.0.1", "::1"])
# Window (s) of the "recent" metrics: attempt latency histogram, inbound requests.
HUB_METRICS_WINDOW = env.int("HUB_METRICS_WINDOW", default=3600)

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
