"""All settings come from environment variables, read in one place.

Both the action server and the web app import this module, so a deployment configures the
whole stack with one set of variables (documented in docs/configuration.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: str) -> Path:
    value = Path(os.environ.get(name, default))
    return value if value.is_absolute() else ROOT / value


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = field(default_factory=lambda: _path("KNOWLEDGE_DIR", "knowledge"))
    index_dir: Path = field(default_factory=lambda: _path("INDEX_DIR", "var/index"))
    var_dir: Path = field(default_factory=lambda: _path("VAR_DIR", "var"))
    rasa_urls: list[str] = field(default_factory=lambda: _list("RASA_URL", "http://127.0.0.1:5005"))
    rasa_token: str = field(default_factory=lambda: os.environ.get("RASA_TOKEN", ""))
    action_server_url: str = field(
        default_factory=lambda: os.environ.get("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    )
    # The web app is the one public service (Rasa and actions stay on loopback).
    web_host: str = field(default_factory=lambda: os.environ.get("WEB_HOST", "0.0.0.0"))  # noqa: S104  # nosec B104
    web_port: int = field(default_factory=lambda: _int("WEB_PORT", 8000))
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", ""))
    rasa_timeout_s: float = field(default_factory=lambda: _float("RASA_TIMEOUT_S", 10.0))
    max_message_chars: int = field(default_factory=lambda: _int("MAX_MESSAGE_CHARS", 2000))
    # Below this retrieval confidence the bot says it does not know. Calibrated on the
    # training questions against out-of-scope messages (docs/retrieval.md): 0.30 answers 91%
    # of answerable questions and refuses 97% of out-of-scope ones. When NLU itself says
    # out_of_scope the bar is higher (0.375 refused every out-of-scope message).
    retrieval_min_score: float = field(default_factory=lambda: _float("RETRIEVAL_MIN_SCORE", 0.30))
    retrieval_min_score_out_of_scope: float = field(
        default_factory=lambda: _float("RETRIEVAL_MIN_SCORE_OUT_OF_SCOPE", 0.375)
    )
    # When the classifier reads a message as something else but gives urgent_danger at least
    # this much, the answer still starts with "call 999" (docs/nlu.md, round 9): 0.25 caught
    # every danger line read as something else (three) and added the line to 9 of 1,679
    # non-danger development lines, each describing harm.
    danger_second_reading: float = field(
        default_factory=lambda: _float("DANGER_SECOND_READING", 0.25)
    )
    # Threads ONNX Runtime uses to embed one question (docs/performance.md).
    embed_threads: int = field(default_factory=lambda: _int("EMBED_THREADS", 1))
    # The ONNX export of the embedding model (bot/knowledge/embed.py); shared by every stack
    # on the machine, unlike VAR_DIR.
    lm_dir: Path = field(default_factory=lambda: _path("LM_DIR", "var/lm"))
    cors_origins: list[str] = field(default_factory=lambda: _list("CORS_ORIGINS"))
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL", ""))
    rate_limit_chat: str = field(
        default_factory=lambda: os.environ.get("RATE_LIMIT_CHAT", "30 per minute")
    )
    rate_limit_login: str = field(
        default_factory=lambda: os.environ.get("RATE_LIMIT_LOGIN", "10 per minute")
    )
    # Number of trusted reverse proxies in front of the web app (0: none, X-Forwarded-For is
    # ignored so nobody can dodge a rate limit by sending one).
    proxy_hops: int = field(default_factory=lambda: _int("PROXY_HOPS", 0))
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    # The web app's /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it is served
    # only to a direct loopback connection (never through a reverse proxy).
    metrics_token: str = field(default_factory=lambda: os.environ.get("METRICS_TOKEN", ""))
    # Rasa's conversation state (what was typed, unredacted) lives this long after the last
    # turn, in Redis; matches the domain's session_expiration_time (30 minutes).
    conversation_ttl_s: int = field(default_factory=lambda: _int("CONVERSATION_TTL_S", 1800))
    gap_retention_days: int = field(default_factory=lambda: _int("GAP_RETENTION_DAYS", 365))

    @property
    def contacts_file(self) -> Path:
        return self.knowledge_dir / "contacts.yml"

    @property
    def flows_dir(self) -> Path:
        return self.knowledge_dir / "flows"

    @property
    def branding_file(self) -> Path:
        return self.knowledge_dir / "branding.yml"


def app_secret(settings: Settings) -> str:
    """The key that signs session ids and hashes conversation ids in the gap log. Production
    must set SECRET_KEY; a developer's machine gets one generated once and kept in var/, so
    the web app and the action server (separate processes) agree on it."""
    if settings.secret_key:
        return settings.secret_key
    if os.environ.get("APP_ENV") == "production":
        raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
    path = settings.var_dir / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first process to create it wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def get_settings() -> Settings:
    """Read fresh each call so tests and CLI commands can change the environment."""
    return Settings()
