"""Parley's settings: every value comes from the environment (or an optional `.env` file).

With no DATABASE_URL and no REDIS_URL Parley runs on embedded defaults (SQLite, the in-memory
channel layer, a filesystem Celery broker), so `make run` needs no servers. Every variable
read here is documented in `.env.example`.
"""

from pathlib import Path

from csp.constants import NONE, SELF
from pythonjsonlogger.core import RESERVED_ATTRS as JSON_LOG_RESERVED_ATTRS

from project.env import (
    ImproperlyConfiguredEnv,
    database_from_url,
    env_bool,
    env_choice,
    env_email,
    env_int,
    env_list,
    env_rate,
    env_str,
    load_dotenv,
    redis_urls,
)

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(BASE_DIR / ".env")

# Everything Parley writes at run time lives here: the SQLite file, Celery's filesystem
# queue and control tables, beat's schedule. Beat writes its schedule whatever the database
# and broker, so the directory is made in every configuration. A relative PARLEY_VAR_DIR is
# taken from the project directory, whatever the working directory.
VAR_DIR = BASE_DIR / env_str("PARLEY_VAR_DIR", "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfiguredEnv(
            "SECRET_KEY is not set; set it in the environment or .env (or DEBUG=1 for development)"
        )
    SECRET_KEY = "parley-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "project.apps.ParleyAdminConfig",  # django.contrib.admin with Parley's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "csp",
    "accounts",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"

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
                "accounts.context_processors.contact",
            ],
        },
    },
]

# Database: PostgreSQL through psycopg 3 and Django's connection pool when DATABASE_URL is
# set, otherwise an SQLite file under var/ so a fresh clone runs with no server.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    DATABASES["default"]["OPTIONS"].setdefault(
        "pool",
        {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
        },
    )
    # With the pool, this tests each connection as it leaves the pool, so one that a
    # database restart cut is replaced instead of failing a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "parley.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the channel layer and Celery's broker when REDIS_URL is set. REDIS_URL may list
# several servers, comma-separated: the channel layer shards its groups over all of them (by
# a consistent hash of the group name, so every process picks the same server for a room),
# and Celery uses the first (docs/deploy.md).
REDIS_URLS = redis_urls("REDIS_URL")
REDIS_URL = REDIS_URLS[0] if REDIS_URLS else ""
CHANNEL_LAYER_PREFIX = env_str("CHANNEL_LAYER_PREFIX", "parley")
if REDIS_URLS:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub fans a group message out in-process, never drops it for capacity, and
            # was several times faster than RedisChannelLayer on this machine class.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s, which kills idle subscriptions
                # (channels_redis#422); None keeps them open.
                "hosts": [{"address": url, "socket_timeout": None} for url in REDIS_URLS],
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
    }
else:
    # One process: each process's hub holds one channel, which must not drop a burst.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 10_000},
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    # Kombu keeps its exchange tables here; its default is `control/` in the working directory.
    CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
    CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_CONTROL_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "control_folder": str(CELERY_CONTROL_DIR),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's default turns each write to stderr into a log record of its own, so one traceback
# came out as hundreds of WARNING lines; left alone, it prints as one traceback.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CHAT_PRUNE_INTERVAL_SECONDS = env_int("CHAT_PRUNE_INTERVAL_SECONDS", 3600, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "prune-messages": {
        "task": "chat.tasks.prune_messages",
        "schedule": float(CHAT_PRUNE_INTERVAL_SECONDS),
        # A run that waited a whole interval for a worker is dropped; the next one does it.
        "options": {"expires": CHAT_PRUNE_INTERVAL_SECONDS},
    },
}

# Accounts: a custom user model and django-allauth.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "chat:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "optional", {"none", "optional", "mandatory"}
)
ACCOUNT_UNIQUE_EMAIL = True

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Parley <parley@localhost>")
# Where people write when they cannot get into their account: the password-reset pages
# name it. Empty: those pages ask nobody to "contact us".
CONTACT_EMAIL = env_email("CONTACT_EMAIL")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "project.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from static/ until collectstatic has run, so `make run` needs no extra step.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
# Files browsers ask for at the site's root whatever the page says (favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# HTTPS. With DEBUG off each of these is on unless turned off. Behind a proxy that ends TLS
# (BEHIND_HTTPS_PROXY=1, the proxy sending X-Forwarded-Proto), Django takes the scheme from
# that header: the redirect then sends only requests that reached the proxy over plain HTTP
# to https (no loop), and sockets' Origins are checked against the https origin. Without the
# setting, behind such a proxy every request looks like plain HTTP and is redirected in a
# loop: loud, and the cue to set it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading commits the whole domain to HTTPS in browsers for good: it is the domain
# owner's decision (SECURE_HSTS_PRELOAD=1, then submitting the domain), so leaving it off is
# a choice, and check --deploy's reminder about it (W021) is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp), on every page: scripts, styles and everything else
# only from this site, no inline script or style (page data travels in json_script blocks),
# no plugins, no framing. connect-src 'self' covers the history API and, in CSP 3 browsers,
# the same-origin ws:/wss: room socket.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Chat.
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 4000, minimum=1)
CHAT_PAGE_SIZE = 50
# Days a message is kept unless its room says otherwise; 0 keeps messages forever.
CHAT_RETENTION_DAYS = env_int("CHAT_RETENTION_DAYS", 90, minimum=0)
# Rows deleted per short transaction when pruning.
CHAT_PRUNE_BATCH_SIZE = env_int("CHAT_PRUNE_BATCH_SIZE", 5000, minimum=1)
CHAT_MAX_PAGE_SIZE = 200
# Bytes of room frames queued for one socket before it is closed as too slow (4408): a
# client that stops reading costs the server at most this much.
CHAT_SOCKET_BUFFER_BYTES = env_int("CHAT_SOCKET_BUFFER_BYTES", 1_048_576, minimum=1024)
# Rooms one person may create: at most COUNT per SECONDS ("10/3600"; 0 = no rate limit), and
# at most CHAT_ROOMS_PER_USER in all (0 = no cap). Joining an existing room is never limited.
CHAT_ROOM_CREATE_LIMIT = env_rate("CHAT_ROOM_CREATE_LIMIT", "10/3600")
CHAT_ROOMS_PER_USER = env_int("CHAT_ROOMS_PER_USER", 100, minimum=0)
# Seconds after sending during which the author may edit a message; 0 turns edits off.
CHAT_EDIT_WINDOW_SECONDS = env_int("CHAT_EDIT_WINDOW_SECONDS", 900, minimum=0)
# The index lists this many rooms, most recently active first; a search finds the others.
CHAT_INDEX_ROOMS = 50
# Bytes one `history` frame (an answer to `history`, or a page of `resume`) holds at most,
# besides CHAT_MAX_PAGE_SIZE messages: 200 long messages would make a frame of megabytes,
# past what proxies pass, and at most a quarter of the socket's buffer, so that answering
# never closes a socket that reads.
CHAT_MAX_PAGE_BYTES = min(256 * 1024, CHAT_SOCKET_BUFFER_BYTES // 4)
# Flood control (chat/limits.py; 0 turns each off): messages one person may send, COUNT per
# SECONDS over all their sockets and server processes; frames of any type one socket may
# send; sockets one person may have open at once.
CHAT_RATE_LIMIT = env_rate("CHAT_RATE_LIMIT", "20/10")
CHAT_FRAME_LIMIT = env_rate("CHAT_FRAME_LIMIT", "100/10")
CHAT_MAX_SOCKETS_PER_USER = env_int("CHAT_MAX_SOCKETS_PER_USER", 20, minimum=0)
# Seconds a person's presence in a room outlives a server process that stopped renewing it
# (killed): each process renews its entries every third of this (chat/presence.py), so a
# ghost lasts at most this plus a third.
CHAT_PRESENCE_TTL_SECONDS = env_int("CHAT_PRESENCE_TTL_SECONDS", 45, minimum=3)
# People a room's `presence` list names at most; a room with more present is a crowd, whose
# joins and leaves are not announced one by one (each would be a frame to every socket).
CHAT_PRESENCE_LIMIT = env_int("CHAT_PRESENCE_LIMIT", 100, minimum=1)

# Operations (docs/deploy.md). Prometheus: every web and Celery process of this machine
# writes its metrics to files here (project/serve.py and project/celery.py point
# PROMETHEUS_MULTIPROC_DIR at it), and /metrics adds them up; METRICS_TOKEN is the bearer
# token /metrics asks for (empty: /metrics answers 404). A relative path starts from here.
METRICS_DIR = BASE_DIR / env_str("PARLEY_METRICS_DIR", str(VAR_DIR / "metrics"))
METRICS_TOKEN = env_str("METRICS_TOKEN")

# Logs: one line per event on stderr, `plain` text or `json` (one object per line), each
# with the request id, client address, user id and room it concerns (project/ops/logs.py).
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", {"plain", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "project.ops.logs.ContextFilter"},
        "without_server_socket_lines": {"()": "project.ops.logs.WithoutServerSocketLines"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # `context` is the plain format's suffix (the JSON line has the fields themselves),
            # and uvicorn's `color_message` its message again with terminal colours.
            "reserved_attrs": [*JSON_LOG_RESERVED_ATTRS, "context", "color_message"],
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "uvicorn.error": {"filters": ["without_server_socket_lines"]},
    },
}
# Celery sets up logging of its own unless told not to: in JSON mode its lines go through
# the handler above instead, so a worker logs JSON too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
