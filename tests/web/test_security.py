"""Security headers, CORS, cookies, the production secret, and proof that the web app is no door
to Rasa's HTTP API or the action server."""

from __future__ import annotations

import http.client
import secrets
import threading
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.web.conftest import closed_port
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = secrets.token_urlsafe(32)


@pytest.fixture
def make_app(monkeypatch, tmp_path):
    """create_app with extra environment; Rasa is down (a closed port)."""

    def make(**env: str):
        monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
        monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{closed_port()}/webhook")
        monkeypatch.setenv("VAR_DIR", str(tmp_path))
        monkeypatch.setenv("RASA_TIMEOUT_S", "1")
        for name in ("APP_ENV", "SECRET_KEY", "CORS_ORIGINS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return create_app({"TESTING": True, "GAP_LOG": False})

    return make


# -- the secret key in production ----------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(make_app, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        make_app(APP_ENV="production")
    assert not (tmp_path / "secret_key").exists()  # no key was quietly generated either


@pytest.mark.parametrize(
    "secret",
    ["changeme", "secret", "dev", "x" * 64, "changeme" * 5, "0123456789" * 3, " " * 40],
)
def test_production_refuses_a_default_or_weak_secret_key(make_app, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY looks like a default"):
        make_app(APP_ENV="production", SECRET_KEY=secret)


def test_production_starts_with_a_random_key_and_development_generates_one(make_app, tmp_path):
    app = make_app(APP_ENV="production", SECRET_KEY=GOOD_SECRET)
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    dev = make_app()
    generated = (tmp_path / "secret_key").read_text().strip()
    assert dev.config["SECRET_KEY"] == generated and len(generated) >= 32


# -- cookies ---------------------------------------------------------------------------------


def set_cookies(response) -> dict[str, dict]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = {"raw": header, "samesite": morsel["samesite"]}
    return cookies


def test_trainer_session_and_csrf_cookie_flags_in_production(make_app):
    app = make_app(APP_ENV="production", SECRET_KEY=GOOD_SECRET)
    response = app.test_client().get("/trainer/login")
    assert response.status_code == 200
    # Flask-WTF keeps the CSRF token in the session cookie: one cookie carries both.
    cookie = set_cookies(response)["trainer_session"]
    assert "HttpOnly" in cookie["raw"]
    assert "Secure" in cookie["raw"]
    assert cookie["samesite"] == "Strict"


def test_cookies_outside_production_are_httponly_and_samesite_but_not_secure(make_app):
    response = make_app().test_client().get("/trainer/login")
    cookie = set_cookies(response)["trainer_session"]
    assert "HttpOnly" in cookie["raw"] and cookie["samesite"] == "Strict"
    assert "Secure" not in cookie["raw"]  # so a developer can sign in over plain http


def test_chat_users_get_no_cookies(make_app):
    client = make_app().test_client()
    for response in (
        client.get("/"),
        client.get("/widget.js"),
        client.get("/api/config"),
        client.post("/api/chat", json={"message": "hello"}),
    ):
        assert response.headers.getlist("Set-Cookie") == []


# -- security headers ------------------------------------------------------------------------

PAGES = [
    ("GET", "/", 200),
    ("GET", "/widget.js", 200),
    ("GET", "/widget-static/widget.css", 200),
    ("GET", "/api/config", 200),
    ("POST", "/api/chat", 503),
    ("GET", "/api/chat", 405),
    ("GET", "/api/nothing", 404),
    ("GET", "/nothing", 404),
    ("GET", "/healthz", 503),
    ("GET", "/trainer/login", 200),
    ("GET", "/trainer/", 302),
    ("GET", "/trainer/static/trainer.js", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), PAGES)
def test_every_page_and_api_response_has_the_security_headers(make_app, method, path, status):
    client = make_app().test_client()
    kwargs = {"json": {"message": "hello"}} if method == "POST" else {}
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] in (["'self'"], ["'none'"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "strict-origin-when-cross-origin"}
    if path.startswith("/trainer"):
        assert directives["frame-ancestors"] == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/trainer/login"])
def test_pages_have_no_inline_script_or_style(make_app, path):
    """The CSP forbids inline code; a page that relied on it would break, so there is none."""
    html = make_app().test_client().get(path).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    scripts = soup.find_all("script")
    assert scripts, "the page loads its script from a file"
    for script in scripts:
        assert script.get("src") and not script.get_text(strip=True), script
    assert soup.find_all("style") == []
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (tag.name, attr)
            assert attr.lower() != "style", tag.name
            assert "javascript:" not in str(value).lower(), (tag.name, attr)


# -- CORS ------------------------------------------------------------------------------------

PARTNER = "https://partner.example.org"


@pytest.fixture
def cors_client(make_app):
    return make_app(CORS_ORIGINS=f"{PARTNER}, https://other-partner.example.org").test_client()


def test_configured_origin_may_call_the_api(cors_client):
    response = cors_client.post("/api/chat", json={"message": "hi"}, headers={"Origin": PARTNER})
    assert response.status_code == 503
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = cors_client.options(
        "/api/chat",
        headers={
            "Origin": PARTNER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "null",
        "https://partner.example.org.evil.example.com",
        "http://partner.example.org",  # wrong scheme
        "https://PARTNER.example.org:8443",
        "*",
    ],
)
def test_other_origins_get_no_cors_allow_header(cors_client, origin):
    for response in (
        cors_client.post("/api/chat", json={"message": "hi"}, headers={"Origin": origin}),
        cors_client.get("/api/config", headers={"Origin": origin}),
        cors_client.options(
            "/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        ),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Origin" in response.headers["Vary"]


def test_no_cors_outside_the_api_nor_without_configuration(cors_client, make_app):
    for path in ("/", "/trainer/login", "/healthz"):
        response = cors_client.get(path, headers={"Origin": PARTNER})
        assert "Access-Control-Allow-Origin" not in response.headers, path
    unconfigured = make_app().test_client()
    response = unconfigured.post("/api/chat", json={"message": "hi"}, headers={"Origin": PARTNER})
    assert "Access-Control-Allow-Origin" not in response.headers


# -- Rasa's HTTP API and the action server are not reachable through the web app -------------

RASA_PATHS = [
    "/model/parse",
    "/model",
    "/model/train",
    "/model/predict",
    "/status",
    "/version",
    "/domain",
    "/webhook",
    "/webhooks/rest/webhook",
    "/webhooks/rest",
    "/conversations/x/tracker",
    "/conversations/x/messages",
    "/conversations/x/trigger_intent",
    "/conversations/x/predict",
    "/conversations/x/execute",
    "/conversations/x/tracker/events",
    "/actions",
    "/health",
    "/api/model/parse",
    "/api/webhook",
    "/api/webhooks/rest/webhook",
    "/api/conversations/x/tracker",
    "/api/chat/model/parse",
    "/api/chat/../../model/parse",
    "/api/../model/parse",
    "/api/%2e%2e/model/parse",
    "/api//model/parse",
    "/trainer/../model/parse",
]


@pytest.mark.parametrize("path", RASA_PATHS)
def test_rasa_and_action_endpoints_are_not_proxied(stub_app, rasa_stub, path):
    client = stub_app.test_client()
    for query in ("", "?token=the-rasa-token"):
        for headers in ({}, {"Authorization": "Bearer the-rasa-token"}):
            for method in ("GET", "POST", "PUT", "DELETE"):
                response = client.open(
                    path + query, method=method, json={"text": "hello"}, headers=headers
                )
                assert response.status_code in {404, 405}, (method, path, response.status_code)
                assert response.mimetype == "application/json"
    assert rasa_stub.requests == []
    # The stand-in is really where the app would send Rasa traffic: a chat turn reaches it.
    assert client.post("/api/chat", json={"message": "hello"}).status_code == 200
    assert [r["path"] for r in rasa_stub.requests] == ["/webhooks/rest/webhook"]


def test_raw_paths_over_a_real_socket_are_not_proxied(stub_app, rasa_stub):
    """The test client may tidy a path; a real HTTP server gets exactly what the client sent."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, stub_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (
            "/api/../model/parse",
            "/api/chat/../../conversations/x/tracker",
            "/%2e%2e/model/parse",
            "/api/..%2fmodel/parse",
            "/./webhooks/rest/webhook",
            f"{rasa_stub.url}/model/parse",  # an absolute URI, as sent to a forward proxy
            "//127.0.0.1/model/parse",
        ):
            for method in ("GET", "POST"):
                conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
                conn.putrequest(method, path, skip_host=False)
                conn.putheader("Content-Type", "application/json")
                conn.putheader("Content-Length", "15")
                conn.endheaders(b'{"text": "hi"} ')
                response = conn.getresponse()
                response.read()
                conn.close()
                assert response.status in {400, 404, 405}, (method, path, response.status)
    finally:
        server.shutdown()
        server.server_close()
    assert rasa_stub.requests == []


def test_rasa_and_the_action_server_listen_on_loopback_with_a_token():
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8")
    rasa = next(line for line in procfile.splitlines() if line.startswith("rasa:"))
    assert "--interface 127.0.0.1" in rasa
    assert "--enable-api" in rasa and "--auth-token ${RASA_TOKEN}" in rasa
    actions = (ROOT / "actions" / "__main__.py").read_text(encoding="utf-8")
    assert 'os.environ.get("SANIC_HOST", "127.0.0.1")' in actions
