"""`python -m bot <command>`: the operator's commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import yaml

from bot.settings import get_settings


def cmd_ingest(args: argparse.Namespace) -> int:
    from bot.knowledge import embed
    from bot.knowledge.ingest import ingest

    settings = get_settings()
    started = time.perf_counter()
    # Export (and check) the ONNX model even when no document changed, so the servers never
    # pay for it at start-up.
    embed.ensure_onnx()
    report = ingest(
        settings.knowledge_dir, settings.index_dir, progress=not args.quiet, full=args.full
    )
    print(report.summary())
    print(f"Index written to {settings.index_dir} in {time.perf_counter() - started:.1f}s")
    return 1 if args.strict and report.skipped else 0


def domain_slots(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return set((data.get("slots") or {}).keys())


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the partnership's data: contacts, flows (against domain.yml) and the index."""
    from bot.contacts import load_contacts
    from bot.flows.model import load_flows, validate_flows

    settings = get_settings()
    contacts = load_contacts(settings.contacts_file)
    flows = load_flows(settings.flows_dir)
    problems = validate_flows(flows, contacts, domain_slots(Path(args.domain)))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if not problems:
        print(f"OK: {len(contacts)} contacts, flows: {', '.join(sorted(flows))}")
    return 1 if problems else 0


def cmd_search(args: argparse.Namespace) -> int:
    from bot import resources

    hits = resources.get_retriever().search(
        args.query, resources.encode, k=args.k, audience=args.audience, method=args.method
    )
    for hit in hits:
        print(json.dumps(hit.as_dict(), ensure_ascii=False))
    return 0


def cmd_wait_ready(args: argparse.Namespace) -> int:
    """Used by `make run`: wait until every service is healthy, print the URL, then stay up
    (honcho stops all processes when one exits)."""
    import signal
    import urllib.request

    settings = get_settings()
    url = f"http://127.0.0.1:{settings.web_port}/healthz"
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310  # fixed http://127.0.0.1 URL
                if json.loads(response.read()).get("ok"):
                    host = (
                        "localhost"
                        if settings.web_host in {"0.0.0.0", "127.0.0.1"}  # nosec B104  # a comparison, binds nothing
                        else settings.web_host
                    )
                    print(
                        f"All services healthy after {time.monotonic() - started:.0f}s. "
                        f"Open http://{host}:{settings.web_port}/",
                        flush=True,
                    )
                    if args.exit:
                        return 0
                    signal.pause()
                    return 0
        except OSError:
            pass
        except ValueError:
            pass
        time.sleep(1)
    print(f"Services not healthy after {args.timeout}s: see {url}", file=sys.stderr)
    return 1


def cmd_endpoints(args: argparse.Namespace) -> int:
    from bot.endpoints import write

    try:
        path = write(get_settings(), Path(args.out))
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:  # the Procfile's Rasa entry: its output is JSON log lines only
        print(f"Rasa endpoints written to {path}")
    return 0


def cmd_export_model(args: argparse.Namespace) -> int:
    """Rasa's NLU featurizer runs the same checked ONNX export as retrieval; it reads it from a
    fixed path (config.yml), which this keeps pointing at the export for the installed weights."""
    import shutil

    from bot.knowledge import embed

    source = embed.ensure_onnx()
    target = Path(args.to)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    tmp.replace(target)
    print(f"{target} -> {source.name}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.gaps.store import database_url, migrate

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(settings.var_dir, settings.database_url)
    migrate(url)
    print(f"gap log schema up to date ({url.split('@')[-1]})")
    return 0


def cmd_purge_gaps(args: argparse.Namespace) -> int:
    from bot import resources

    days = args.days if args.days is not None else get_settings().gap_retention_days
    removed = resources.get_gap_store().purge(days)
    print(f"removed {removed} gap record(s) older than {days} days")
    return 0


def cmd_create_trainer(args: argparse.Namespace) -> int:
    import getpass

    from bot import resources
    from bot.gaps.accounts import AccountError, create_trainer

    password = args.password or getpass.getpass("Password (12+ characters): ")
    try:
        create_trainer(resources.get_gap_store(), args.username, password)
    except AccountError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"trainer account {args.username!r} created")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="build the knowledge index from KNOWLEDGE_DIR")
    p.add_argument("--full", action="store_true", help="re-embed everything")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--strict", action="store_true", help="exit 1 if any file was skipped")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("check", help="validate contacts and walkthrough flows")
    p.add_argument("--domain", default=str(Path(__file__).resolve().parent.parent / "domain.yml"))
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("search", help="search the knowledge index")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=3)
    p.add_argument("--audience", choices=["children", "adults"])
    p.add_argument("--method", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("wait-ready", help="wait until the web app reports all services healthy")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--exit", action="store_true", help="exit when healthy instead of waiting")
    p.set_defaults(func=cmd_wait_ready)
    p = sub.add_parser("endpoints", help="write Rasa's endpoints file from the environment")
    p.add_argument("--out", required=True)
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_endpoints)
    p = sub.add_parser("export-model", help="put the checked ONNX embedding model at a path")
    p.add_argument("--to", required=True)
    p.set_defaults(func=cmd_export_model)
    p = sub.add_parser("migrate", help="create or upgrade the gap log schema (Alembic)")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("purge-gaps", help="delete gap records older than the retention period")
    p.add_argument("--days", type=int, help="default: GAP_RETENTION_DAYS (365)")
    p.set_defaults(func=cmd_purge_gaps)
    p = sub.add_parser("create-trainer", help="create a trainer account for the dashboard")
    p.add_argument("username")
    p.add_argument("--password", help="prompted for when omitted")
    p.set_defaults(func=cmd_create_trainer)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
