"""Django settings of the registry, read from the environment that :func:`registry.boot.setup` prepares.

``SYMBIOSE_DATABASE_URL`` names the database (default: ``symbiose.db`` in the current folder);
``SYMBIOSE_SECRET_KEY`` the signing key (default: one generated on first start and kept in the
database); ``SYMBIOSE_DEBUG=1`` turns on Django's debug pages (never in production);
``SYMBIOSE_ALLOWED_HOSTS`` (comma-separated, default ``*``); ``SYMBIOSE_MAX_UPLOAD_BYTES`` the
largest accepted upload (default 5 MB); ``SYMBIOSE_SECURE_COOKIES=1`` marks cookies Secure (behind HTTPS).
E-mail about proposals is sent when ``SYMBIOSE_SMTP_HOST`` is set (with ``SYMBIOSE_SMTP_PORT``, default
587, ``SYMBIOSE_SMTP_USER``, ``SYMBIOSE_SMTP_PASSWORD``, ``SYMBIOSE_SMTP_TLS`` default 1, and
``SYMBIOSE_MAIL_FROM``); without it the in-app inbox is the only channel.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .dburl import DEFAULT_DB, parse_db_url

HERE = Path(__file__).resolve().parent

DEBUG = os.environ.get("SYMBIOSE_DEBUG") == "1"
# replaced by the key kept in the database at start (registry.boot); never used to sign anything before that
SECRET_KEY = os.environ.get("SYMBIOSE_SECRET_KEY") or "unset-until-boot"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SYMBIOSE_ALLOWED_HOSTS", "*").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "registry.apps.RegistryConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.UploadLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.views.context",
            ],
        },
    }
]

DATABASES = {"default": parse_db_url(os.environ.get("SYMBIOSE_DATABASE_URL") or DEFAULT_DB)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's model backend; a session's user is read with its account and network in one query.
AUTHENTICATION_BACKENDS = ["registry.auth.AccountBackend"]

# Argon2 first: new and changed passwords are hashed with it; the others only read old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "registry:login"
LOGIN_REDIRECT_URL = "registry:home"

SECURE_COOKIES = os.environ.get("SYMBIOSE_SECURE_COOKIES") == "1"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

#: The largest upload accepted (bytes); a larger request is refused with 413 before its body is read.
MAX_UPLOAD_BYTES = int(os.environ.get("SYMBIOSE_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
#: Login attempts: at most this many failures per e-mail address or client address in the window.
LOGIN_MAX_FAILURES = int(os.environ.get("SYMBIOSE_LOGIN_MAX_FAILURES", "5"))
LOGIN_WINDOW_SECONDS = 15 * 60

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("da", _("Danish")), ("sv", _("Swedish")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [HERE / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
USE_THOUSAND_SEPARATOR = True

#: Whether proposals send e-mail (an SMTP server is configured); the inbox is kept either way.
SYMBIOSE_EMAIL = bool(os.environ.get("SYMBIOSE_SMTP_HOST"))
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("SYMBIOSE_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SYMBIOSE_SMTP_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("SYMBIOSE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SYMBIOSE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("SYMBIOSE_SMTP_TLS", "1") == "1"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("SYMBIOSE_MAIL_FROM", "symbiose@localhost")

STATIC_URL = "/static/"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
