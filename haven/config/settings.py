"""Haven's one settings module. Everything that varies between installations comes from the environment.

Modes (``HAVEN_MODE``):
- ``production`` (default): every secret must be given; a missing one stops Haven at start.
- ``demo``: ``haven demo`` sets this; secrets are generated once into ``$HAVEN_HOME/keys``.
- ``test``: the test settings set this; secrets are generated per test run.

Fail closed: DEBUG is off unless ``HAVEN_DEBUG`` is set, and it may never be on in production.
"""

from __future__ import annotations

import secrets
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from haven.config.env import envbool, envint, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

HAVEN_MODE = envstr("HAVEN_MODE", "production")
if HAVEN_MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"HAVEN_MODE must be production, demo or test, not {HAVEN_MODE!r}")

# The instance directory: database (SQLite), keys, evidence files, logs.
HAVEN_HOME = Path(envstr("HAVEN_HOME", "var")).resolve()
HAVEN_KEYS_DIR = HAVEN_HOME / "keys"
HAVEN_FILES_DIR = HAVEN_HOME / "files"
HAVEN_LOG_DIR = HAVEN_HOME / "logs"


def _instance_secret(name: str, filename: str, nbytes: int = 32) -> str:
    """Return a mandatory secret; outside production, create it once in the instance's key directory."""
    value = envsecret(name)
    if value:
        return value
    if HAVEN_MODE == "production":
        raise ImproperlyConfigured(
            f"{name} is not set. Give it in the environment or as a file named by {name}_FILE "
            f"(see README, 'Running in production')."
        )
    path = HAVEN_KEYS_DIR / filename
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    HAVEN_KEYS_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(nbytes)
    path.touch(mode=0o600)
    path.write_text(value, encoding="utf-8")
    return value


DEBUG = envbool("HAVEN_DEBUG", False)
if DEBUG and HAVEN_MODE == "production":
    raise ImproperlyConfigured(
        "HAVEN_DEBUG may not be on in production mode: it would show data in error pages."
    )

SECRET_KEY = _instance_secret("HAVEN_SECRET_KEY", "django_secret_key", 50)

# The master key (key-encryption key) that wraps the data keys stored in the database. It never lives in
# the database, so a copy of the database alone reveals nothing (see haven.crypto).
HAVEN_MASTER_KEY = _instance_secret("HAVEN_MASTER_KEY", "master.key", 32)

ALLOWED_HOSTS = [
    h.strip() for h in envstr("HAVEN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]

# How background jobs run (haven.jobs.services): a separate `haven worker` process in production, a thread
# of the one demo process, and at once in tests.
HAVEN_JOBS = envstr("HAVEN_JOBS", {"production": "worker", "demo": "thread", "test": "inline"}[HAVEN_MODE])
if HAVEN_JOBS not in {"worker", "thread", "inline"}:
    raise ImproperlyConfigured(f"HAVEN_JOBS must be worker, thread or inline, not {HAVEN_JOBS!r}")

# Dashboard and map counts (haven.web.dashboard.cached_counts): after the records change, the kept counts are
# shown, marked with their time, while a thread counts afresh ("background"); or they are counted again while
# the reader waits ("inline", the tests' default). Counts older than HAVEN_COUNTS_CACHE_SECONDS are never shown.
HAVEN_COUNTS_REFRESH = envstr("HAVEN_COUNTS_REFRESH", "inline" if HAVEN_MODE == "test" else "background")
if HAVEN_COUNTS_REFRESH not in {"background", "inline"}:
    raise ImproperlyConfigured(
        f"HAVEN_COUNTS_REFRESH must be background or inline, not {HAVEN_COUNTS_REFRESH!r}"
    )
HAVEN_COUNTS_CACHE_SECONDS = int(envstr("HAVEN_COUNTS_CACHE_SECONDS", "300"))
# A background recount waits while the server's processors are busy with readers, up to this many seconds
# (haven.web.recount); 0: never waits (the tests, whose own work keeps the processors busy).
HAVEN_RECOUNT_YIELD_SECONDS = envint("HAVEN_RECOUNT_YIELD_SECONDS", 0 if HAVEN_MODE == "test" else 10)
# How long each server process keeps the options of vocabulary and gazetteer selects (haven.lib.widgets); the
# tests read them afresh, as each test has its own reference data.
HAVEN_CHOICES_KEPT_SECONDS = int(envstr("HAVEN_CHOICES_KEPT_SECONDS", "0" if HAVEN_MODE == "test" else "60"))

# Intake drafts hold identifying values typed in and not yet submitted: one neither saved nor opened for this many days is
# deleted (haven.web.intake.drafts.drafts_expire), so forgotten drafts do not pile up.
HAVEN_DRAFT_DAYS = envint("HAVEN_DRAFT_DAYS", 30)
if HAVEN_DRAFT_DAYS < 1:
    raise ImproperlyConfigured(f"HAVEN_DRAFT_DAYS must be at least 1, not {HAVEN_DRAFT_DAYS}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for FORM_RENDERER below
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "haven.accounts",
    "haven.crypto",
    "haven.vocab",
    "haven.places",
    "haven.reference",
    "haven.records",
    "haven.cases",
    "haven.evidence",
    "haven.exchange",
    "haven.audit",
    "haven.backup",
    "haven.jobs",
    "haven.estimation",
    "haven.linkage",
    "haven.reports",
    "haven.web",
    "haven.demo",
    "rest_framework",
    "drf_spectacular",
    "haven.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (our CSS, JS and the vendored libraries and map) from the application itself: no CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "haven.accounts.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "haven.accounts.middleware.SessionTimeoutMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth's UserSessionsMiddleware is left out: SessionTimeoutMiddleware records the activity, once a minute.
    # Deny by default: every page needs a logged-in user unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "haven.accounts.middleware.RequireTwoFactorMiddleware",
    "haven.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "haven.config.urls"
WSGI_APPLICATION = "haven.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haven.accounts.context_processors.capabilities",
            ],
        },
    },
]

# records.Event's "event_visible" index carries columns for PostgreSQL's index-only scans; SQLite makes the
# index without them, which is all it can use (models.W040 says so on every migrate).
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Widgets are rendered by the project's template engine, so that haven/templates/django/forms/widgets/ can write a
# select's options inline instead of one included template per option; the common widgets are written in Python,
# with the same HTML, while their templates are the ones the Python follows (haven/lib/form_renderer.py).
FORM_RENDERER = "haven.lib.form_renderer.WidgetRenderer"

# SQLite is the embedded default; DATABASE_URL (postgres://...) selects PostgreSQL through psycopg 3.
_database_url = envstr("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=envint("HAVEN_DB_CONN_MAX_AGE", 60))
    }
else:
    HAVEN_HOME.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HAVEN_HOME / "haven.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at the start of a
                # transaction so two writers queue instead of failing half-way with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Hangul and Han trigram search needs a UTF-8 ctype (pg_trgm ignores them under LC_CTYPE=C), so the test
    # database is copied from a template that has one; .ci/run creates it.
    DATABASES["default"]["TEST"] = {
        "TEMPLATE": envstr("HAVEN_PG_TEST_TEMPLATE", "template0"),
        "CHARSET": "UTF8",
    }

# One cache for every server process, in the database (its table is made by haven.web's migrations): rate
# limits (allauth, the API) count every worker's requests, survive a restart, and the dashboard's counts are
# computed once for all workers. Only counters and counts are cached, never a record or a name.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "haven_cache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# ---- Accounts: django-allauth (login, TOTP two-factor, recovery codes, re-authentication, sessions) -------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "haven.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = False  # e-mail is not an authentication factor here
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = envint("HAVEN_SUDO_SECONDS", 300)
ACCOUNT_PREVENT_ENUMERATION = True
MFA_ADAPTER = "haven.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Haven"
MFA_RECOVERY_CODE_COUNT = 10
MFA_TRUST_ENABLED = False
USERSESSIONS_TRACK_ACTIVITY = True

# Lockout after repeated failures, per user name and address, so an attacker cannot lock staff out from elsewhere.
AXES_FAILURE_LIMIT = envint("HAVEN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = envint("HAVEN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "haven.accounts.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False

# Sessions end after HAVEN_IDLE_MINUTES without a request, and HAVEN_SESSION_HOURS after login whatever happens.
SESSION_COOKIE_AGE = envint("HAVEN_IDLE_MINUTES", 30) * 60
# Sessions are saved (their expiry pushed back) at most once a minute, not on every request: see
# haven.accounts.middleware.SessionTimeoutMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
HAVEN_SESSION_TOUCH_SECONDS = envint("HAVEN_SESSION_TOUCH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
HAVEN_SESSION_ABSOLUTE_SECONDS = envint("HAVEN_SESSION_HOURS", 12) * 3600

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HAVEN_HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, static files are served from the source tree (no collectstatic needed).
WHITENOISE_USE_FINDERS = HAVEN_MODE != "production"
if HAVEN_MODE != "production":
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names let browsers cache them for ever; `haven serve` collects them before it starts.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if HAVEN_MODE == "production"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security headers. Nothing is loaded from another host; cookies are not readable by scripts.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = envbool("HAVEN_SECURE_COOKIES", HAVEN_MODE == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The intake posts a whole testimony as one form (about 17 fields per act, 14 per involvement): Django's
# default of 1000 fields would refuse a long one with a bare 400 and lose it. Size stays capped at 2.5 MB.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Content-Security-Policy: nothing from another host, no inline script, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Error reports never carry request data or local variables: they could hold identifying values.
DEFAULT_EXCEPTION_REPORTER_FILTER = "haven.accounts.logging.RedactingExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("HAVEN_LOG_LEVEL", "WARNING")},
}

# ---- REST API (haven.api): personal bearer tokens with scopes, JSON only, rate limits per token ----------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["haven.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["haven.api.permissions.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer"
    ],  # no browsable API: no inline scripts
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["haven.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": envstr("HAVEN_API_RATE", "600/minute"),
        "api_write": envstr("HAVEN_API_WRITE_RATE", "60/minute"),
        "api_search": envstr("HAVEN_API_SEARCH_RATE", "60/minute"),
        "api_auth_failure": envstr("HAVEN_API_AUTH_FAILURE_RATE", "20/minute"),
    },
    "NUM_PROXIES": 0,  # rate limits by REMOTE_ADDR, as the audit log: X-Forwarded-For is the client's to forge
    "EXCEPTION_HANDLER": "haven.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Haven API",
    "DESCRIPTION": "Records of human-rights violations and assistance cases, under Haven's access policy.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # an update's "version" stays required
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}
