"""Django settings for fivesigma, read from the environment.

Development (the default, ``make run``): SQLite, a Celery broker on the local filesystem,
files under ``FIVESIGMA_DATA_DIR`` (``./var``). Production (``FIVESIGMA_ENV=production``):
DEBUG off, SECRET_KEY required, secure cookies, PostgreSQL through ``DATABASE_URL`` and Redis
through ``CELERY_BROKER_URL``. Every variable is listed in the README.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("FIVESIGMA_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when FIVESIGMA_ENV=production.")
    SECRET_KEY = "development-only-key-not-secret-" + "x" * 32

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("FIVESIGMA_DATA_DIR", BASE_DIR / "var")).resolve()
# Compiled scorer kernels are cached where every worker may write, not next to the code.
os.environ.setdefault("NUMBA_CACHE_DIR", str(DATA_DIR / "numba-cache"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not from a CDN
    "fivesigma.challenges",
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
    "fivesigma.security.ContentSecurityPolicyMiddleware",
    "fivesigma.challenges.answers.RefusalMiddleware",
]

ROOT_URLCONF = "fivesigma.urls"
WSGI_APPLICATION = "fivesigma.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fivesigma" / "templates"],
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

_sqlite_path = DATA_DIR / "fivesigma.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share one file: wait for locks, write-ahead log.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that integration tests can share it with a worker process.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-fivesigma-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by all web processes in production (CACHE_URL=redis://...), in-process otherwise.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
    }
    if os.environ.get("CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed password attempts (login page, admin, API token) allowed per account and per client
# address within FIVESIGMA_LOGIN_WINDOW_S; past either, attempts are refused until the
# window has passed (challenges/password_attempts.py). Counted in the cache: set
# CACHE_URL in production, so that every web process shares the counts.
FIVESIGMA_LOGIN_FAILURES_PER_ACCOUNT = int(
    os.environ.get("FIVESIGMA_LOGIN_FAILURES_PER_ACCOUNT", 10)
)
FIVESIGMA_LOGIN_FAILURES_PER_ADDRESS = int(
    os.environ.get("FIVESIGMA_LOGIN_FAILURES_PER_ADDRESS", 50)
)
FIVESIGMA_LOGIN_WINDOW_S = int(os.environ.get("FIVESIGMA_LOGIN_WINDOW_S", 900))
AUTHENTICATION_BACKENDS = ["fivesigma.challenges.password_attempts.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
WHITENOISE_AUTOREFRESH = DEBUG  # development: serve from the app directories, no collectstatic
STATICFILES_DIRS = [
    BASE_DIR / "fivesigma" / "static",
    (
        "plotly",
        Path(str(__import__("plotly").__file__)).parent / "package_data",
    ),  # plotly.min.js, served locally
]

MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"  # files are only ever served through permission-checked views

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FIVESIGMA_STORAGE = os.environ.get("FIVESIGMA_STORAGE") or "local"
if FIVESIGMA_STORAGE == "s3":
    # Any S3-compatible object store, shared by the web process and every worker: no two
    # machines need a common disk. boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    # from the environment (or an instance role) itself.
    if importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "FIVESIGMA_STORAGE=s3 needs boto3: pip install 'fivesigma[server,s3]'."
        )
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("FIVESIGMA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None  # None: AWS itself
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_S3_ADDRESSING_STYLE = os.environ.get("AWS_S3_ADDRESSING_STYLE") or None  # path, virtual
    AWS_LOCATION = os.environ.get("AWS_LOCATION", "")  # a key prefix: several sites, one bucket
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    # As on local disk, a new file never replaces the bytes of another under the same name.
    AWS_S3_FILE_OVERWRITE = False
elif FIVESIGMA_STORAGE != "local":
    raise ImproperlyConfigured(f"FIVESIGMA_STORAGE must be local or s3, not {FIVESIGMA_STORAGE!r}.")

# Largest accepted upload (bytes). Uploads past it are refused while streaming.
FIVESIGMA_MAX_UPLOAD_BYTES = int(os.environ.get("FIVESIGMA_MAX_UPLOAD_BYTES", 512 * 1024**2))
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024**2
# Uploads larger than that are spooled here, not in the system's temporary directory, so
# that what a killed web process leaves behind is found and swept (engine/upload_spool.py:
# at the web service's start and every 10 minutes by beat).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp" / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
# A spooled upload untouched this long (seconds) belongs to no request any more (a request
# lasts at most gunicorn's --timeout, 120 s, and an arriving upload is written to all the time).
FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S = int(os.environ.get("FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S", 600))
# Code-phase inputs are read inside the sandbox by an unprivileged user.
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024**2
# Running participant code outside bubblewrap: for local development only, never in production.
FIVESIGMA_ALLOW_UNCONFINED_CODE = env_bool("FIVESIGMA_ALLOW_UNCONFINED_CODE", False)
# Where each worker machine keeps its speed calibration (runner/calibration.py): the ranked
# seconds per event of code submissions are normalised to the reference machine with it.
# Empty: no calibration, raw on-CPU seconds are ranked.
FIVESIGMA_CALIBRATION_DIR = os.environ.get(
    "FIVESIGMA_CALIBRATION_DIR", str(DATA_DIR / "calibration")
)
# The lock files that give each timed run, and each scoring, a CPU of its own
# (runner/cpuslots.py): every worker process of a machine must share them. Empty: the
# runner's default, /run/lock/fivesigma-cpu-slots-<uid> (or under /dev/shm, /tmp).
FIVESIGMA_CPU_SLOTS_DIR = os.environ.get("FIVESIGMA_CPU_SLOTS_DIR", "")
# A submission waiting in the queue, or running, this long (or twice its phase's time limit,
# if longer) is re-queued, then failed.
FIVESIGMA_STUCK_AFTER_S = int(os.environ.get("FIVESIGMA_STUCK_AFTER_S", 3600))
# A running submission's worker stamps a heartbeat this often (seconds); a run silent for
# FIVESIGMA_HEARTBEAT_TIMEOUT_S has lost its worker and is re-queued by the next sweep.
FIVESIGMA_HEARTBEAT_S = float(os.environ.get("FIVESIGMA_HEARTBEAT_S", 10))
FIVESIGMA_HEARTBEAT_TIMEOUT_S = float(os.environ.get("FIVESIGMA_HEARTBEAT_TIMEOUT_S", 60))
FIVESIGMA_MAX_ATTEMPTS = int(os.environ.get("FIVESIGMA_MAX_ATTEMPTS", 3))
FIVESIGMA_BOOTSTRAP_REPLICAS = int(os.environ.get("FIVESIGMA_BOOTSTRAP_REPLICAS", 1000))

# Celery: queue `scoring` scores result files, queue `sandbox` runs code submissions.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Messages are JSON only: the worker never unpickles what arrives through the broker.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task keeps running when the broker connection drops (a Redis restart): it writes its
# result to the database, not through the broker, and a redelivered copy finds it done.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "scoring"
CELERY_TASK_ROUTES = {
    "fivesigma.challenges.tasks.score_submission": {"queue": "scoring"},
    "fivesigma.challenges.tasks.run_code_submission": {"queue": "sandbox"},
    "fivesigma.challenges.tasks.sweep_stuck_submissions": {"queue": "scoring"},
    "fivesigma.challenges.tasks.sweep_upload_spool": {"queue": "scoring"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-submissions": {
        "task": "fivesigma.challenges.tasks.sweep_stuck_submissions",
        "schedule": 60.0,
    },
    "sweep-upload-spool": {
        "task": "fivesigma.challenges.tasks.sweep_upload_spool",
        "schedule": 600.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_RATES": {"upload": os.environ.get("FIVESIGMA_UPLOAD_RATE", "30/min")},
    # The client's address is the connection's unless this many proxies of our own stand in
    # front (each appends to X-Forwarded-For): 0 in development, 1 behind one nginx.
    "NUM_PROXIES": int(os.environ.get("FIVESIGMA_TRUSTED_PROXIES", 0)),
    "EXCEPTION_HANDLER": "fivesigma.challenges.answers.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fivesigma API",
    "DESCRIPTION": "Challenges, phases, leaderboards, submissions and data files.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# E-mail (sign-up verification links, password resets): printed to the console in
# development; sent through the SMTP server EMAIL_HOST in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587 if PRODUCTION else 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", PRODUCTION)
EMAIL_TIMEOUT = 10  # seconds: a page never hangs on a mail server
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fivesigma <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # seconds a reset or sign-up link stays valid

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_on_one_line": {"()": "fivesigma.security.ClientErrorsOnOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors_on_one_line"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy of every page (fivesigma/security.py); a view serving
# organisers' HTML replaces it with security.UNTRUSTED_HTML_POLICY.
FIVESIGMA_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
