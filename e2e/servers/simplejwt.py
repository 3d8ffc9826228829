"""
A Django REST framework SimpleJWT server, for the end-to-end suite: the most
used JWT back end of the Python world, as its documentation sets it up.

- POST /api/token/          TokenObtainPairView: {"username", "password"} -> {"refresh", "access"}
- POST /api/token/refresh/  TokenRefreshView: {"refresh"} -> {"access", "refresh"} (rotation on,
                            the spent refresh token blacklisted)
- GET  /api/me/             the user, for a valid access token (JWTAuthentication)
- POST /api/echo/           the body's size and SHA-256, for a valid access token
- POST /__control/expire    access tokens issued until now are refused from now on, as if expired
- POST /__control/revoke    every refresh token issued so far is blacklisted

Users ada and grace, password "demo". Run with Debian's /usr/bin/python3 (python3-django,
python3-djangorestframework, python3-djangorestframework-simplejwt); it prints
"listening on <port>" once it takes requests on 127.0.0.1.
"""
import hashlib
import math
import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

ACCESS_SECONDS = int(os.environ.get("ACCESS_SECONDS", "60"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="e2e-only-" + os.urandom(16).hex(),
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework_simplejwt.token_blacklist",
    ],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.mkdtemp(prefix="simplejwt-"), "db.sqlite3"),
            "OPTIONS": {"timeout": 20},
        }
    },
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "UNAUTHENTICATED_USER": None,
    },
    SIMPLE_JWT={
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_SECONDS),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
    },
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from rest_framework.decorators import api_view, authentication_classes  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402
from rest_framework_simplejwt.exceptions import InvalidToken  # noqa: E402
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken  # noqa: E402
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView  # noqa: E402

# Access tokens issued at or before this second are refused (see /__control/expire). Told by
# their `exp`, which every access token gets anew (a refreshed one copies its refresh token's `iat`).
refused_until = [0]


class ExpirableJWTAuthentication(JWTAuthentication):
    """SimpleJWT's own authentication, and the test run's switch to expire every token so far."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if token["exp"] - ACCESS_SECONDS <= refused_until[0]:
            raise InvalidToken({"detail": "Token is expired", "code": "token_not_valid"})
        return token


@api_view(["GET"])
@authentication_classes([ExpirableJWTAuthentication])
def me(request):
    return Response({"user": request.user.username})


@api_view(["POST"])
@authentication_classes([ExpirableJWTAuthentication])
def echo(request):
    body = request.body
    return Response({"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest() if body else "", "contentType": request.content_type})


@csrf_exempt
def expire(request):
    # `iat` counts whole seconds: refuse this one, and answer once the next has begun, so that a
    # token issued after this answer is never refused.
    now = time.time()
    refused_until[0] = math.floor(now)
    time.sleep(math.floor(now) + 1 - now)
    return JsonResponse({"ok": True})


@csrf_exempt
def revoke(request):
    for token in OutstandingToken.objects.all():
        BlacklistedToken.objects.get_or_create(token=token)
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/me/", me),
    path("api/echo/", echo),
    path("__control/expire", expire),
    path("__control/revoke", revoke),
]


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    call_command("migrate", verbosity=0)
    for name in ("ada", "grace"):
        User.objects.create_user(name, password="demo")
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), get_wsgi_application(), ThreadingServer, QuietHandler)
    print(f"listening on {server.server_port}", flush=True)
    # Ends with the test run: when its stdin closes, or on a signal.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
