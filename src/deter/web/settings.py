"""Django settings, all read from environment variables.

The defaults are safe for the demo only: a SQLite file in the working folder and a demo secret
key that is refused when ``DETER_ENV=production``.
"""

import ipaddress
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_SECRET_KEY = "demo-only-insecure-key-never-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use true or false")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [v.strip() for v in value.split(",") if v.strip()] if value else default


def env_whole(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number, at least {minimum}")
    return int(value)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


DETER_ENV = os.environ.get("DETER_ENV", "demo")
if DETER_ENV not in ("demo", "production"):
    raise ImproperlyConfigured(f"DETER_ENV={DETER_ENV!r}: use demo or production")
PRODUCTION = DETER_ENV == "production"

MIN_SECRET_KEY_LENGTH = 50
SECRET_KEY = os.environ.get("DETER_SECRET_KEY", "" if PRODUCTION else DEMO_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5
                   or SECRET_KEY == DEMO_SECRET_KEY):
    raise ImproperlyConfigured(
        f"DETER_SECRET_KEY must be a random value of at least {MIN_SECRET_KEY_LENGTH} "
        f"characters in production (it is {len(SECRET_KEY)}, {len(set(SECRET_KEY))} different); "
        "for example "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`")

DEBUG = env_bool("DETER_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DETER_DEBUG=true is refused in production: Django's debug pages "
                               "show the settings and list every URL")
ALLOWED_HOSTS = env_list("DETER_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DETER_ALLOWED_HOSTS must name the host names Deter is served on "
                               "in production (comma-separated, e.g. deter.force.police.uk)")

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{Path.cwd() / 'deter.sqlite3'}"),
        conn_max_age=0 if not PRODUCTION else 60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default random_page_cost (4) assumes spinning disks and has the planner read
    # all 50,000 people of a force to join 400 cohort entries; 1.1 is the usual value for SSDs.
    # DETER_PG_OPTIONS replaces it (libpq "options", e.g. "-c random_page_cost=4").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "DETER_PG_OPTIONS", "-c random_page_cost=1.1")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share the file. WAL lets readers go on while one writes (every
    # page view writes an audit row); IMMEDIATE transactions take the write lock when they
    # begin, so a writer waits its turn (up to the busy timeout) instead of failing with
    # "database is locked" when a read transaction cannot be upgraded.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": env_whole("DETER_SQLITE_BUSY_SECONDS", 20),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
if (PRODUCTION and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        and not env_bool("DETER_ALLOW_SQLITE", False)):
    raise ImproperlyConfigured(
        "SQLite is for the demo and for one analyst's own install: in production set "
        "DATABASE_URL to PostgreSQL, or DETER_ALLOW_SQLITE=true for a single-analyst install")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "rest_framework",
    "drf_spectacular",
    "deter.web.apps.DeterConfig",
]

# Background work (imports, analysis runs, the daily retention run) is queued in the database
# and run by `deter worker` (ADR 11); the test suite runs tasks inline (tests/conftest.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DETER_UPLOAD_MAX_BYTES = env_whole("DETER_UPLOAD_MAX_MB", 200) * 1_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = DETER_UPLOAD_MAX_BYTES + 1_000_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000_000  # larger uploads are spooled to a temporary file
DETER_RETENTION_HOUR = env_whole("DETER_RETENTION_HOUR", 2, minimum=0)
if DETER_RETENTION_HOUR > 23:
    raise ImproperlyConfigured(f"DETER_RETENTION_HOUR={DETER_RETENTION_HOUR}: use 0 to 23")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "deter.web.middleware.TokensOnlyOnApiMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "deter.web.middleware.SessionLifetimeMiddleware",
    "deter.web.middleware.SignedInHeadersMiddleware",
    "deter.web.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "deter.web.middleware.AccountGateMiddleware",
    "deter.web.middleware.PolicyCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "deter.web.middleware.OnceOnlyFormsMiddleware",
]

ROOT_URLCONF = "deter.web.urls"
WSGI_APPLICATION = "deter.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deter.web.context.navigation",
            ],
            "builtins": ["deter.web.templatetags.deter_once"],
        },
    }
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before any backend checks a
# password (docs/adr/0012-local-accounts.md); the model backend signs local accounts in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"

LOGIN_REDIRECT_URL = "cohort"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (docs/sign-in.md, docs/adr/0013): on when DETER_OIDC_ISSUER
# names the provider (e.g. https://login.microsoftonline.com/<tenant id>/v2.0), whose endpoints
# are read from its /.well-known/openid-configuration at the first sign-in. The provider's
# groups (or app roles: DETER_OIDC_GROUPS_CLAIM=roles) map to agencies and roles through
# DETER_OIDC_GROUP_MAP (JSON) or DETER_OIDC_GROUP_MAP_FILE (a JSON file):
#   {"<group id>": {"agency": "<agency name>", "roles": ["analyst", ...]}, ...}
# (``sso.config`` checks the roles when the app starts).
DETER_OIDC_ISSUER = os.environ.get("DETER_OIDC_ISSUER", "").rstrip("/")
DETER_OIDC_CLIENT_ID = os.environ.get("DETER_OIDC_CLIENT_ID", "")
DETER_OIDC_CLIENT_SECRET = os.environ.get("DETER_OIDC_CLIENT_SECRET", "")
DETER_OIDC_PROVIDER_NAME = os.environ.get("DETER_OIDC_PROVIDER_NAME",
                                          "your organisation's account")
DETER_OIDC_GROUPS_CLAIM = os.environ.get("DETER_OIDC_GROUPS_CLAIM", "groups")
DETER_OIDC_USERNAME_CLAIM = os.environ.get("DETER_OIDC_USERNAME_CLAIM", "preferred_username")
DETER_OIDC_SCOPES = os.environ.get("DETER_OIDC_SCOPES", "openid email profile")
DETER_OIDC_TIMEOUT_SECONDS = env_whole("DETER_OIDC_TIMEOUT_SECONDS", 10)
# Signing out of Deter also ends the session at the provider (OpenID Connect RP-Initiated
# Logout), so the next person at a shared PC cannot sign in as this user without a password.
DETER_OIDC_SIGN_OUT_AT_PROVIDER = env_bool("DETER_OIDC_SIGN_OUT_AT_PROVIDER", True)
DETER_OIDC_GROUP_MAP: object = None
if _map_file := os.environ.get("DETER_OIDC_GROUP_MAP_FILE"):
    try:
        _map_text = Path(_map_file).read_text(encoding="utf-8")
    except OSError as error:
        raise ImproperlyConfigured(f"DETER_OIDC_GROUP_MAP_FILE={_map_file!r}: cannot be read "
                                   f"({error.strerror})") from None
    _map_source = f"DETER_OIDC_GROUP_MAP_FILE ({_map_file})"
else:
    _map_text, _map_source = os.environ.get("DETER_OIDC_GROUP_MAP", ""), "DETER_OIDC_GROUP_MAP"
if _map_text:
    try:
        DETER_OIDC_GROUP_MAP = json.loads(_map_text)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{_map_source} is not JSON: {error}") from None
if DETER_OIDC_ISSUER:
    _missing = [name for name, value in (
        ("DETER_OIDC_CLIENT_ID", DETER_OIDC_CLIENT_ID),
        ("DETER_OIDC_CLIENT_SECRET", DETER_OIDC_CLIENT_SECRET),
        ("DETER_OIDC_GROUP_MAP or DETER_OIDC_GROUP_MAP_FILE", DETER_OIDC_GROUP_MAP)) if not value]
    if _missing:
        raise ImproperlyConfigured(f"DETER_OIDC_ISSUER is set, so single sign-on needs "
                                   f"{', '.join(_missing)} too (docs/sign-in.md)")
    if PRODUCTION and not DETER_OIDC_ISSUER.startswith("https://"):
        raise ImproperlyConfigured(f"DETER_OIDC_ISSUER={DETER_OIDC_ISSUER!r}: a provider is "
                                   "reached over https:// in production")
if DETER_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("deter.web.sso.backend.SingleSignOnBackend")

# Sessions end after DETER_SESSION_IDLE_MINUTES without a request and DETER_SESSION_MAX_HOURS
# after signing in, whatever the activity (``middleware.SessionLifetimeMiddleware``).
DETER_SESSION_IDLE_MINUTES = env_whole("DETER_SESSION_IDLE_MINUTES", 30)
DETER_SESSION_MAX_HOURS = env_whole("DETER_SESSION_MAX_HOURS", 8)
SESSION_COOKIE_AGE = DETER_SESSION_MAX_HOURS * 60 * 60
SESSION_COOKIE_HTTPONLY = True

# Lockout (django-axes): DETER_LOCKOUT_FAILURES wrong passwords for one account, or from one
# address, lock it for DETER_LOCKOUT_MINUTES; DETER_LOCKOUT_BY names what is counted
# ("username", "ip_address" or both: staff behind one NAT address share its count).
AXES_FAILURE_LIMIT = env_whole("DETER_LOCKOUT_FAILURES", 5)
DETER_LOCKOUT_MINUTES = env_whole("DETER_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = DETER_LOCKOUT_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = env_list("DETER_LOCKOUT_BY", ["username", "ip_address"])
if not set(AXES_LOCKOUT_PARAMETERS) <= {"username", "ip_address"} or not AXES_LOCKOUT_PARAMETERS:
    raise ImproperlyConfigured(f"DETER_LOCKOUT_BY={os.environ.get('DETER_LOCKOUT_BY')!r}: use "
                               "username, ip_address or username,ip_address")
# failures are not forgotten at a success: counted by address, a success would let anyone
# holding one account reset the count of an address trying many (they expire after the lock)
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # Deter's audit trail records every sign-in (views/auth.py)
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "deter.web.audit.context.request_ip"
AXES_LOCKOUT_CALLABLE = "deter.web.views.auth.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
# Two-factor (django-otp, TOTP with recovery codes): required in production of every account
# that signs in with a password here rather than through single sign-on; optional in the demo
# (DETER_REQUIRE_TWO_FACTOR=true requires it there too).
DETER_REQUIRE_TWO_FACTOR = PRODUCTION or env_bool("DETER_REQUIRE_TWO_FACTOR", False)
OTP_TOTP_ISSUER = os.environ.get("DETER_TOTP_ISSUER", "Deter")
# Passkeys (django-otp-webauthn) are a second factor like the authenticator app, never a way to
# sign in without the password (that would pass by django-axes' lockout). A passkey is bound
# to the relying party's domain, DETER_WEBAUTHN_RP_ID (by default the first of ALLOWED_HOSTS;
# never an IP address: browsers refuse one, so the demo uses http://localhost:8000), and is
# accepted only from DETER_WEBAUTHN_ORIGINS (https://<domain> by default in production).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = os.environ.get("DETER_WEBAUTHN_RP_NAME", OTP_TOTP_ISSUER)
OTP_WEBAUTHN_RP_ID = os.environ.get(
    "DETER_WEBAUTHN_RP_ID",
    next((h.lstrip(".") for h in ALLOWED_HOSTS if h != "*" and not _is_address(h)), "localhost"))
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "DETER_WEBAUTHN_ORIGINS",
    [f"https://{OTP_WEBAUTHN_RP_ID}"] if PRODUCTION else ["http://localhost:8000"])
if PRODUCTION and not all(o.startswith("https://") for o in OTP_WEBAUTHN_ALLOWED_ORIGINS):
    raise ImproperlyConfigured(f"DETER_WEBAUTHN_ORIGINS={OTP_WEBAUTHN_ALLOWED_ORIGINS!r}: "
                               "passkeys are accepted over https:// only in production")
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "deter.passkeys"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Production is served over HTTPS only: HSTS for a year and a redirect from http. Behind a
# reverse proxy that ends TLS, DETER_PROXY_SSL_HEADER names the header it sets to "https"
# (e.g. X-Forwarded-Proto); the proxy must overwrite any such header a client sends.
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION and env_bool("DETER_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("DETER_HTTPS_REDIRECT", True)
if _proxy_header := os.environ.get("DETER_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_proxy_header.upper().replace('-', '_')}", "https")
# Browser features no page of Deter uses, refused to every page (Permissions-Policy).
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "serial=(), bluetooth=(), display-capture=()")

# GOV.UK Frontend comes from npm (never copied): its images and JavaScript are served from its
# dist folder at the site root, where its CSS expects /assets/; its stylesheet is compiled by
# `make setup` with Deter's font into build/frontend (see deter/web/frontend/govuk.scss).
FRONTEND_DIR = Path(os.environ.get("DETER_FRONTEND_DIR", REPO_ROOT / "node_modules"))
FRONTEND_BUILD_DIR = Path(os.environ.get("DETER_FRONTEND_BUILD_DIR",
                                         REPO_ROOT / "build" / "frontend"))
WHITENOISE_ROOT = FRONTEND_DIR / "govuk-frontend" / "dist" / "govuk"
STATICFILES_DIRS = [("govuk", FRONTEND_BUILD_DIR)]
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DETER_STATIC_ROOT", REPO_ROOT / "build" / "static"))
WHITENOISE_USE_FINDERS = not PRODUCTION  # tests serve static/ without collectstatic
# `deter serve` collects the static files with content hashes in their names, which WhiteNoise
# serves with a far-future Cache-Control (immutable); DETER_STATIC_MANIFEST=false (the test
# suite, which never collects) names them plainly.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DETER_STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage")},
}

# Signing out of a single sign-on session posts to Deter, which sends the browser on to the
# provider's end-session endpoint: browsers apply form-action to that redirect too.
_form_action = ["'self'"]
if DETER_OIDC_ISSUER:
    _form_action.append("{0.scheme}://{0.netloc}".format(urlsplit(DETER_OIDC_ISSUER)))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": _form_action,
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DETER_LOG_LEVEL", "WARNING")},
}

# Disproportionality tables (the fairness page, the problem profile): counts from 1 to one
# less than this are shown as "fewer than N" and their ratio withheld.
DETER_SUPPRESS_BELOW = int(os.environ.get("DETER_SUPPRESS_BELOW", "10"))
if DETER_SUPPRESS_BELOW < 1:
    raise ImproperlyConfigured("DETER_SUPPRESS_BELOW must be a whole number of at least 1")
# The evaluation export (docs/adr/0010): every combination of its quasi-identifiers (entry
# period, age band, sex, ethnicity) is shared by at least this many released rows.
_k = os.environ.get("DETER_K_ANONYMITY", "5")
if not _k.isdigit() or int(_k) < 2:
    raise ImproperlyConfigured(f"DETER_K_ANONYMITY={_k!r}: use a whole number of at least 2")
DETER_K_ANONYMITY = int(_k)
# Retention and review (docs/retention.md): days after a missed review date before the entry
# is suspended from partner-agency view until the panel reviews it.
_grace = os.environ.get("DETER_REVIEW_GRACE_DAYS", "28")
if not _grace.isdigit():
    raise ImproperlyConfigured(f"DETER_REVIEW_GRACE_DAYS={_grace!r}: use a whole number of days")
DETER_REVIEW_GRACE_DAYS = int(_grace)

# The audit trail (docs/adr/0007): how many reverse proxies in front of Deter append to
# X-Forwarded-For (0: the client's address is REMOTE_ADDR); and whether emptying the database
# with ``flush`` writes a row starting the new chain (the test suite turns it off).
_proxies = os.environ.get("DETER_TRUSTED_PROXIES", "0")
if not _proxies.isdigit():
    raise ImproperlyConfigured(f"DETER_TRUSTED_PROXIES={_proxies!r}: use a whole number of proxies")
DETER_TRUSTED_PROXIES = int(_proxies)
DETER_AUDIT_RECORD_FLUSH = env_bool("DETER_AUDIT_RECORD_FLUSH", True)
# Individuals' rights (docs/adr/0008-individual-rights.md): days to decide a challenge to a
# listing, counted from the day it was received.
_challenge = os.environ.get("DETER_CHALLENGE_DAYS", "28")
if not _challenge.isdigit() or int(_challenge) < 1:
    raise ImproperlyConfigured(
        f"DETER_CHALLENGE_DAYS={_challenge!r}: use a whole number of days, at least 1")
DETER_CHALLENGE_DAYS = int(_challenge)

# The HTTP API for partner systems (docs/api.md, docs/adr/0020): Django REST framework with
# tokens only (``deter api-token``; no session, so no CSRF to confuse), JSON in and out, and
# the OpenAPI 3 schema from drf-spectacular at /api/v1/schema/. Calls are limited per token
# (DETER_API_RATE) and, before a token is accepted, per address (DETER_API_ANONYMOUS_RATE),
# as N/second, N/minute, N/hour or N/day, counted in Django's cache: the default is each
# process's own memory, so behind W workers a token may make up to W times the rate.
_RATE = r"^[1-9][0-9]*/(second|minute|hour|day)$"
DETER_API_RATE = os.environ.get("DETER_API_RATE", "120/minute")
DETER_API_ANONYMOUS_RATE = os.environ.get("DETER_API_ANONYMOUS_RATE", "30/minute")
for _name, _value in (("DETER_API_RATE", DETER_API_RATE),
                      ("DETER_API_ANONYMOUS_RATE", DETER_API_ANONYMOUS_RATE)):
    if not re.match(_RATE, _value):
        raise ImproperlyConfigured(f"{_name}={_value!r}: use N/second, N/minute, N/hour or "
                                   "N/day, e.g. 120/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["deter.web.api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["deter.web.api.throttling.TokenRateThrottle",
                                 "deter.web.api.throttling.AddressRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "deter.web.api.errors.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "UNAUTHENTICATED_TOKEN": None,
    "SCHEMA_COERCE_PATH_PK": False,  # the paths name {pk}, as the URLs do
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Deter API",
    "DESCRIPTION": "Partner systems read the people their agency may see, in the fields it may "
                   "see, and record interventions and their progress (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "InterventionStatusEnum": "deter.web.models.casework.Intervention.Status",
        "CohortStatusEnum": "deter.web.models.programme.CohortEntry.Status",
    },
}
