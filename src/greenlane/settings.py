"""Django settings, read from the environment through :mod:`greenlane.config`.

Variables: GREENLANE_MODE (demo | production), DATABASE_URL, SECRET_KEY, GREENLANE_VAR_DIR,
ALLOWED_HOSTS (comma-separated, production), GREENLANE_HSTS_PRELOAD (production),
GREENLANE_LOCKOUT_ATTEMPTS.
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE, SELF

from greenlane import config

BASE_DIR = Path(__file__).resolve().parent
MODE = config.env_choice("GREENLANE_MODE", config.MODES, "demo")
PRODUCTION = MODE == "production"
VAR_DIR = config.var_dir()
SECRET_KEY = config.secret_key(MODE, VAR_DIR)
DEBUG = config.env_bool("DEBUG", False)
ALLOWED_HOSTS = (
    [h.strip() for h in config.env_str("ALLOWED_HOSTS").split(",") if h.strip()]
    if PRODUCTION
    else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, no CDN
    "greenlane.apps.audit",
    "greenlane.apps.accounts",
    "greenlane.apps.operators",
    "greenlane.apps.declarations",
    "greenlane.apps.targeting",
    "greenlane.apps.assessments",
    "greenlane.apps.certification",
    "greenlane.apps.trs",
    "greenlane.apps.monitoring",
    "greenlane.apps.tallies",
    "greenlane.apps.notices",
    "greenlane.apps.correspondence",
    "greenlane.apps.origin",
    "greenlane.web",
]

MIDDLEWARE = [
    "greenlane.web.languages.ForgetLanguage",  # the thread's language ends with the response
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "greenlane.web.middleware.RefuseOtherMethods",
    "greenlane.web.middleware.RefuseOversizedBodies",
    "greenlane.web.middleware.RefuseNulCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language and the switcher's cookie
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "greenlane.web.languages.UserLanguage",  # a signed-in person's own choice comes first
    "django.contrib.messages.middleware.MessageMiddleware",
    "greenlane.apps.accounts.sessions.SessionTimeouts",  # idle and absolute session limits
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "greenlane.urls"
WSGI_APPLICATION = "greenlane.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "greenlane.web.context.shell",
            ],
        },
    },
]

DATABASES = {"default": config.database(None, VAR_DIR)}

# Background work (ingests, model training, studies): django-tasks with its database backend,
# run by `greenlane worker` (started by `greenlane serve`). No broker to install.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Progress of running tasks goes through a cache that every process sees and that is not the
# database, whose write transaction the task itself holds for the whole ingest.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
MAX_UPLOAD_MB = config.env_int("GREENLANE_MAX_UPLOAD_MB", 512)
# `greenlane serve`: seconds a client has to send a request's headers, and its body (plus a
# second per 500 bytes received); a slower one is dropped so it cannot hold a worker thread.
REQUEST_TIMEOUT = config.env_int("GREENLANE_REQUEST_TIMEOUT", 20, minimum=1)
# AEO monitoring: the background worker queues one run a day ("daily") or none ("off").
MONITORING_SCHEDULE = config.env_choice("GREENLANE_MONITORING_SCHEDULE", ("daily", "off"), "daily")
# Risk model: the background worker retrains once a week ("weekly") or never ("off"); the new
# version waits, compared with the active one, until an analyst promotes it.
RETRAIN_SCHEDULE = config.env_choice("GREENLANE_RETRAIN_SCHEDULE", ("weekly", "off"), "weekly")
# The day's reminders to certificate holders (a certificate ends soon, a self-review is due
# or overdue), made by the worker.
REMINDERS = config.env_choice("GREENLANE_REMINDERS", ("daily", "off"), "daily")
# A task running on another host for longer than this (seconds) is taken for one whose worker
# died, and is queued again (on the worker's own host a dead process is seen at once).
TASK_TIMEOUT = config.env_int("GREENLANE_TASK_TIMEOUT", 6 * 3600)
# Evidence files of self-tests (PDF, images, office documents): a smaller cap.
MAX_EVIDENCE_MB = config.env_int("GREENLANE_MAX_EVIDENCE_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes), greenlane.apps.accounts.lockout: per
# username *and* client address, so a stranger's failures never lock the user out; plus a
# back-off per username summed over all addresses, which spares the addresses the user has
# logged in from before. The client address is REMOTE_ADDR, or behind GREENLANE_TRUSTED_PROXIES
# proxies the one they name in X-Forwarded-For (greenlane.apps.accounts.clients).
TRUSTED_PROXIES = config.env_int("GREENLANE_TRUSTED_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "greenlane.apps.accounts.clients.client_address"
AXES_FAILURE_LIMIT = config.env_int("GREENLANE_LOCKOUT_ATTEMPTS", 5, minimum=1)
LOCKOUT_USERNAME_ATTEMPTS = config.env_int("GREENLANE_LOCKOUT_USERNAME_ATTEMPTS", 50, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "greenlane.apps.accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS: list[str] = []
# Public certificate verification (number + code): attempts per client address per window.
VERIFICATION_ATTEMPTS = config.env_int("GREENLANE_VERIFICATION_ATTEMPTS", 30, minimum=1)
VERIFICATION_WINDOW = 600  # seconds

# The administration's language: the language of its official documents (the certificate)
# and of anyone whose browser asks for none Greenlane speaks (docs/i18n.md).
LANGUAGE_CODE = config.env_choice("GREENLANE_LANGUAGE", ("en", "ko", "es", "zh-hans"), "en")
# The interface's languages (docs/i18n.md); names in their own language for the switcher.
LANGUAGES = [
    ("en", "English"),
    ("ko", "한국어"),
    ("es", "Español"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
LANGUAGE_COOKIE_NAME = "greenlane_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates, numbers and money per language (greenlane/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["greenlane.formats"]
# Stored in UTC, shown in the administration's time zone (an IANA name, e.g. Asia/Seoul).
TIME_ZONE = config.env_time_zone("GREENLANE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if config.env_bool("GREENLANE_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Signed-in sessions end after GREENLANE_SESSION_IDLE_MINUTES without a request and
# GREENLANE_SESSION_MAX_HOURS after the login (greenlane.apps.accounts.sessions); the stored
# session expires with the absolute limit, and in production the cookie with the browser.
SESSION_IDLE_MINUTES = config.env_int("GREENLANE_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_MAX_HOURS = config.env_int("GREENLANE_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no
# inline code, no eval (Vega draws through its expression interpreter), no plugins, no framing.
# img-src allows data: for the icons inside the API docs' stylesheet (Swagger UI).
# docs/security.md lists each directive and the test that holds it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading commits the whole registrable domain (often a government's) to HTTPS in every
    # browser, beyond this application: the administration opts in, and until then W021 (which
    # asks for it) is silenced.
    SECURE_HSTS_PRELOAD = config.env_bool("GREENLANE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The AEO programme this administration runs (a programme id of the criteria catalogue).
PROGRAMME = config.env_str("GREENLANE_PROGRAMME", "kr-aeo")
# The authority printed on certificates as their issuer; empty: the programme's own, from the
# criteria catalogue (for kr-aeo, "Korea Customs Service (KCS)").
AUTHORITY_NAME = config.env_text("GREENLANE_AUTHORITY_NAME")
# Days from submission to decision that the administration commits to (clock stopped while
# waiting for the operator); applications past it show as overdue. EU example: 120 days.
SERVICE_STANDARD_DAYS = config.env_int("GREENLANE_SERVICE_STANDARD_DAYS", 120)
# The currency of the amounts on record (ISO 4217: customs values, duty, revenue), shown
# beside every amount; empty: amounts are shown without one.
CURRENCY = config.env_str("GREENLANE_CURRENCY", "KRW").upper()[:3]
DEFAULT_FROM_EMAIL = config.env_str("GREENLANE_FROM_EMAIL", "greenlane@localhost")

# E-mail (password links, notices): GREENLANE_SMTP_URL; the demo writes files to var/mail/.
_EMAIL = config.email(MODE, VAR_DIR)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _EMAIL.get("EMAIL_FILE_PATH")
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = _EMAIL.get("EMAIL_TIMEOUT")
# The address people reach Greenlane at, for the links in e-mails and on printed certificates
# (made in the background, where there is no request to read it from).
SITE_URL = config.site_url(MODE)
# The local hour at which the daily digest of notices goes to those who chose it.
DIGEST_HOUR = config.env_int("GREENLANE_DIGEST_HOUR", 7, minimum=0, maximum=23)
# A password link (a new person's first, or a reset) works once and for this long.
PASSWORD_RESET_TIMEOUT = config.env_int("GREENLANE_PASSWORD_LINK_HOURS", 72, minimum=1) * 3600
# A link that confirms an e-mail address (a request for access, a changed address) works once
# and for this long.
EMAIL_LINK_TIMEOUT = config.env_int("GREENLANE_EMAIL_LINK_HOURS", 24, minimum=1) * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Declarations one channel-decision API key may send a minute and a day (apps/targeting/quota.py);
# past either, 429 with Retry-After, audited once per window.
KEY_DECLARATIONS_PER_MINUTE = config.env_int(
    "GREENLANE_KEY_DECLARATIONS_PER_MINUTE", 20_000, minimum=1
)
KEY_DECLARATIONS_PER_DAY = config.env_int("GREENLANE_KEY_DECLARATIONS_PER_DAY", 500_000, minimum=1)
