"""A token-authenticated ``POST /api/emit/`` is answered by hub.api.middleware before sessions,
CSRF, auth, messages and the URL resolver, with the same answers as the full stack; browsers
(a session cookie) and every other API call take the full stack as before."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import Client, RequestFactory, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer

from hub.api import middleware as fast
from hub.models import EventHistory
from tests import factories

EMIT = {"model": "res.partner", "event": "write", "record_id": 7, "data": {"name": "A"}}
FULL_STACK = [m for m in settings.MIDDLEWARE if m != "hub.api.middleware.ApiTokenMiddleware"]
# What an answer is compared on: everything but the new event's id.
HEADERS = ("Content-Type", "Vary", "Allow", "WWW-Authenticate", "X-Frame-Options")


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = BaseHandler.resolve_request

    def spy(self: Any, request: Any) -> Any:
        calls.append(request.path_info)
        return real(self, request)

    monkeypatch.setattr(BaseHandler, "resolve_request", spy)
    return calls


def _token(*, staff: bool = True, perm: bool = False) -> str:
    user = get_user_model().objects.create_user(f"u{time.monotonic_ns()}", is_staff=staff)
    if perm:
        user.user_permissions.add(Permission.objects.get(codename="add_eventhistory"))
    return Token.objects.create(user=user).key


def _post(key: str | None, body: Any = EMIT, **extra: Any) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json", **extra}
    if key is not None:
        kwargs["HTTP_AUTHORIZATION"] = key if " " in key or key == "Token" else f"Token {key}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client(enforce_csrf_checks=True).post("/api/emit/", data, **kwargs)


def _answer(response: Any) -> tuple[Any, ...]:
    body = response.json() if response.content else None
    if isinstance(body, dict) and "id" in body:
        body = {**body, "id": "<id>"}
    return (
        response.status_code,
        body,
        *(response.get(h) for h in HEADERS),
        response["Content-Length"] == str(len(response.content)),
        sorted(response.cookies),
    )


CASES: dict[str, tuple[str, Any, dict[str, Any]]] = {
    "202": ("staff", EMIT, {}),
    "202 with permission": ("perm", EMIT, {}),
    "400 bad body": ("staff", {"model": "", "event": "nope"}, {}),
    "400 not json": ("staff", "{not json", {}),
    "401 unknown token": ("unknown", EMIT, {}),
    "401 token header without a key": ("bare", EMIT, {}),
    "403 no permission": ("plain", EMIT, {}),
    "415 form body": ("staff", "a=1", {"content_type": "text/plain"}),
    "406 asks for xml": ("staff", EMIT, {"HTTP_ACCEPT": "application/xml"}),
}


def _key(kind: str) -> str:
    return {
        "staff": lambda: _token(),
        "perm": lambda: _token(staff=False, perm=True),
        "plain": lambda: _token(staff=False),
        "unknown": lambda: "0" * 40,
        "bare": lambda: "Token",
    }[kind]()


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CASES))
def test_a_token_emit_gets_the_full_stacks_answer_without_it(
    case: str, resolver_calls: list[str]
) -> None:
    factories.make_rule(events=("write",))
    kind, body, extra = CASES[case]
    key = _key(kind)
    fast_answer = _post(key, body, **extra)
    # Answered by the middleware (a bare "Token" names no token: the full stack answers it).
    took_full_stack = ["/api/emit/"] if key == "Token" else []
    assert resolver_calls == took_full_stack
    with override_settings(MIDDLEWARE=FULL_STACK):
        full_answer = _post(key, body, **extra)
    assert resolver_calls == [*took_full_stack, "/api/emit/"]
    assert _answer(fast_answer) == _answer(full_answer)
    assert fast_answer.status_code == int(case[:3])
    assert fast_answer["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still ran
    assert "Cookie" not in (fast_answer.get("Vary") or "")
    if case.startswith("202"):
        assert EventHistory.objects.filter(source="api").count() == 2


@pytest.mark.django_db
def test_the_keyword_is_case_insensitive_as_in_drf(resolver_calls: list[str]) -> None:
    response = _post(f"token {_token()}")
    assert (response.status_code, resolver_calls) == (202, [])


@pytest.mark.django_db
def test_a_browser_session_still_needs_csrf_and_takes_the_full_stack(
    resolver_calls: list[str],
) -> None:
    user = get_user_model().objects.create_user("browser", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post("/api/emit/", EMIT, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    csrf = "k" * 32  # a CSRF secret, as the cookie the dashboard's pages set holds
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    accepted = client.post(
        "/api/emit/", EMIT, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 202
    assert resolver_calls.count("/api/emit/") == 2
    # A token header next to a session cookie: the full stack too (the session is kept as is).
    with_token = client.post(
        "/api/emit/", EMIT, content_type="application/json", HTTP_AUTHORIZATION=f"Token {_token()}"
    )
    assert with_token.status_code == 202
    assert resolver_calls.count("/api/emit/") == 3


@pytest.mark.django_db
def test_other_api_calls_and_methods_take_the_full_stack(resolver_calls: list[str]) -> None:
    client = Client()
    admin = get_user_model().objects.create_superuser("root")
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=admin).key}"}
    assert client.get("/api/rules/", **auth).status_code == 200
    assert client.get("/api/emit/", **auth).status_code == 405
    no_slash = client.post("/api/emit", EMIT, content_type="application/json", **auth)
    with override_settings(MIDDLEWARE=FULL_STACK):
        full = client.post("/api/emit", EMIT, content_type="application/json", **auth)
    assert no_slash.status_code == full.status_code != 202
    assert resolver_calls == ["/api/rules/", "/api/emit/", "/api/emit", "/api/emit"]


@pytest.mark.django_db
def test_a_host_outside_allowed_hosts_is_refused_before_anything_is_stored() -> None:
    response = _post(_token(), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not EventHistory.objects.exists()


@pytest.mark.django_db
def test_plain_http_is_redirected_when_https_is_required() -> None:
    key = _token()
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = _post(key)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert not EventHistory.objects.exists()


# --- the health check --------------------------------------------------------------------------


def _wsgi_emit(handler: WSGIHandler, key: str) -> int:
    """One emit through Django's WSGI handler, which (unlike the test client) runs the
    request_started/finished connection housekeeping, as gunicorn does."""
    body = json.dumps(EMIT).encode()
    environ = (
        RequestFactory()
        .post(
            "/api/emit/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )
        .environ
    )
    status: list[str] = []
    result = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(result)
    result.close()
    return int(status[0][:3])


def _kill_backend() -> None:
    pid = connection.connection.info.backend_pid
    db = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_database_restart_fails_at_most_one_emit_per_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql" or not getattr(connection, "health_check_enabled", False):
        pytest.skip("PostgreSQL with CONN_HEALTH_CHECKS")
    monkeypatch.setattr(settings, "DEBUG_PROPAGATE_EXCEPTIONS", False)
    factories.make_rule(events=("write",))
    key = _token()
    handler = WSGIHandler()
    checks: list[bool] = []
    wrapper = type(connections["default"])
    real_is_usable = wrapper.is_usable

    def is_usable(self: Any) -> bool:
        checks.append(usable := real_is_usable(self))
        return usable

    monkeypatch.setattr(wrapper, "is_usable", is_usable)
    assert _wsgi_emit(handler, key) == 202
    # After a quiet second the health check runs: the lost connection is replaced, no error.
    _kill_backend()
    fast._local.ok_at = time.monotonic() - fast.HEALTH_CHECK_QUIET - 1
    checks.clear()
    assert _wsgi_emit(handler, key) == 202
    assert checks == [False]
    # Within the second the check is skipped: one emit may fail, the next one reconnects.
    checks.clear()
    assert _wsgi_emit(handler, key) == 202
    assert checks == []
    _kill_backend()
    statuses = [_wsgi_emit(handler, key) for _ in range(3)]
    assert statuses in ([500, 202, 202], [202, 202, 202])
    connection.ensure_connection()


# --- the 202 -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_202_is_the_bytes_drfs_json_renderer_writes(accept: str | None) -> None:
    extra = {"HTTP_ACCEPT": accept} if accept is not None else {}
    response = _post(_token(), **extra)
    assert response.status_code == 202
    assert response.content == JSONRenderer().render(response.json())
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "POST, OPTIONS"
    assert response["Vary"] == "Accept"


@pytest.mark.django_db
def test_an_accept_header_with_parameters_still_gets_drfs_rendering() -> None:
    response = _post(_token(), HTTP_ACCEPT="application/json; indent=2")
    assert response.status_code == 202
    assert response.content == JSONRenderer().render(response.json(), "application/json; indent=2")
    assert b"\n" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setting", [{"PREPEND_WWW": True}, {"DISALLOWED_USER_AGENTS": [re.compile("curl")]}]
)
def test_commonmiddlewares_other_duties_send_it_through_the_full_stack(
    setting: dict[str, Any],
) -> None:
    key = _token()
    with override_settings(**setting):
        response = _post(key, HTTP_USER_AGENT="curl/8")
    assert response.status_code in (301, 403)
    assert not EventHistory.objects.exists()
