"""Flask app: chat API, widget and demo page, health. `create_app(config)` like flaskr."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, Response, jsonify, request

from bot.contacts import load_contacts
from bot.settings import app_secret, get_settings
from web.rasa_client import RasaClient

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


MIN_SECRET_CHARS = 32


def check_production_secret(secret: str) -> None:
    """In production a default or weak SECRET_KEY would let anyone forge session ids and
    trainer cookies: refuse to start, and say how to make a good one. Placeholders ("changeme",
    "secret", "x" * 40, "changemechangeme...") are short or use few distinct characters."""
    if len(secret) < MIN_SECRET_CHARS or len(set(secret)) < 10:
        raise RuntimeError(
            f"SECRET_KEY looks like a default (under {MIN_SECRET_CHARS} characters or too "
            "repetitive). With APP_ENV=production set a random one, e.g. from "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = get_settings()
    production = os.environ.get("APP_ENV") == "production"
    secret = app_secret(settings)  # raises when APP_ENV=production and SECRET_KEY is unset
    if production:
        check_production_secret(secret)
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="trainer_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
    )
    if config:
        app.config.update(config)
    if settings.proxy_hops:
        # Behind a reverse proxy, rate limits and logs must see the practitioner's address,
        # not the proxy's; only as many X-Forwarded-For hops as there are trusted proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    # Contacts are loaded at start-up: without them the app could not show safety numbers.
    app.config["CONTACTS"] = load_contacts(settings.contacts_file)
    if app.config.get("GAP_LOG", True):
        from bot import resources

        resources.start_gap_writer()
    app.extensions["rasa_client"] = RasaClient(
        settings.rasa_urls, settings.rasa_timeout_s, settings.rasa_token
    )

    from web import metrics

    # First, so the timer also starts for requests the rate limiter turns away (429).
    metrics.init_app(app)

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    from flask_wtf.csrf import CSRFProtect

    from web import health
    from web.chat import bp as chat_bp
    from web.trainer import bp as trainer_bp
    from web.widget import bp as widget_bp

    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        default_limits=[],
        strategy="moving-window",
        # If Redis goes away the chat keeps answering, limited per process meanwhile.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.limit(settings.rate_limit_chat, methods=["POST"])(chat_bp)
    from web.trainer import login as trainer_login

    limiter.limit(settings.rate_limit_login, methods=["POST"])(trainer_login)
    csrf = CSRFProtect(app)
    # The chat API is called cross-origin by the widget with no cookies: nothing to forge.
    csrf.exempt(chat_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(widget_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(trainer_bp)
    _register_errors(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not request.path.startswith("/api/"):
            return response
        # The answer depends on the Origin: caches must not serve one site's answer to another.
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin and origin in settings.cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        return response

    return app


def _register_errors(app: Flask) -> None:
    from web.safety import safety_message

    def handler(status: int, text: str):  # type: ignore[no-untyped-def]
        def handle(_exc: Exception) -> tuple[Response, int]:
            if status >= 500:
                log.exception("unhandled error")
            return jsonify({"error": text, "messages": [safety_message(text)]}), status

        return handle

    app.register_error_handler(400, handler(400, "Bad request."))
    app.register_error_handler(404, handler(404, "Not found."))
    app.register_error_handler(405, handler(405, "Method not allowed."))
    app.register_error_handler(413, handler(413, "The request is too large."))
    app.register_error_handler(
        429, handler(429, "Too many messages in a short time. Please wait a minute and try again.")
    )
    app.register_error_handler(500, handler(500, "Something went wrong on our side."))
