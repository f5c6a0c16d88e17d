"""The ``qinqing`` command: run the hub (all at once with ``up``, or piece by piece), migrate, seed,
and check the catalog."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hub.settings import Settings, load_settings


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")


async def _migrate_and_seed(settings: Settings, seed: bool) -> list[str]:
    from forms.catalog import load_catalog
    from hub.audit import ensure_chain_head
    from hub.db.lifecycle import database, migrate
    from hub.documents.signing import signing_key_ring
    from hub.sealing import configure_from
    from hub.seed import seed_demo

    # The embedded default: first signing and data keys are made here, before any process needs them
    # (keys given in the environment are used as they are; nothing is generated for them).
    signing_key_ring(settings).ensure_key()
    configure_from(settings).ensure_key()
    async with database(settings):
        await migrate(settings)
        await ensure_chain_head()
        if not seed:
            return []
        return await seed_demo(
            load_catalog(settings.catalog_path),
            settings.demo_enterprises,
            settings.demo_enterprise_accounts,
            settings.demo_beneficiaries,
        )


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_migrate_and_seed(settings, seed=False))
    print("Database schema is up to date.")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    created = asyncio.run(_migrate_and_seed(settings, seed=True))
    print(f"Demo accounts created: {', '.join(created) if created else 'none (all exist)'}")
    return 0


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    """Print today's reconciliation of the ledger with the claims; exit 1 on any difference."""
    import json

    from hub.clock import now
    from hub.db.lifecycle import database
    from hub.payments.reconciliation import reconciliation_day, reconciliation_report

    async def run() -> dict:
        async with database(settings):
            return await reconciliation_report(reconciliation_day(now()))

    report = asyncio.run(run())
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if report["differences"] else 0


def cmd_enterprises(settings: Settings, args: argparse.Namespace) -> int:
    """Grow the synthetic enterprise population to the given size (for demos and benchmarks)."""
    from hub.db.lifecycle import database, migrate
    from hub.registry.synthetic import populate

    async def run() -> int:
        async with database(settings):
            await migrate(settings)
            return await populate(args.count, progress=True)

    print(f"Enterprises added: {asyncio.run(run())}")
    return 0


def cmd_cockpit_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Count the cockpit's daily tallies again from the read model (the live ones are replaced)."""
    from hub.cockpit import rebuild
    from hub.db.lifecycle import database, migrate

    async def run() -> int:
        async with database(settings):
            await migrate(settings)
            return await rebuild()

    print(f"Cockpit tallies rebuilt: {asyncio.run(run())} rows")
    return 0


def schema_is_current(settings: Settings) -> bool:
    """Whether the database has run every migration of this version; says what to do if not."""
    from hub.db.lifecycle import database, pending_migrations

    async def pending() -> list[str]:
        async with database(settings):
            return await pending_migrations()

    try:
        missing = asyncio.run(pending())
    except Exception as exc:  # noqa: BLE001 - an outage is the web's and the worker's to ride out, as ever
        print(f"Could not check the database schema now ({type(exc).__name__}: {exc}); starting.", file=sys.stderr)
        return True
    if missing:
        print(
            f"Cannot start: the database schema is behind this version of the hub ({len(missing)} "
            f"migration(s) not run, from {missing[0]}). Run `qinqing migrate` first.",
            file=sys.stderr,
        )
    return not missing


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from hub.worker import run_worker

    if not schema_is_current(settings):
        return 1
    asyncio.run(run_worker(settings))
    return 0


KEEP_ALIVE_SECONDS = 75


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from hub.serving import serve

    if not schema_is_current(settings):
        return 1
    workers = args.workers if getattr(args, "workers", None) is not None else settings.web_workers
    serve(
        {
            "app": "hub.web.app:create_app",
            "factory": True,
            "host": settings.host,
            "port": settings.port,
            "log_level": "info",
            "access_log": settings.access_log,
            "proxy_headers": False,
            # Longer than a load balancer's idle timeout (commonly 60 s): a server closing an idle
            # connection at the moment a client sends on it again makes that request fail unanswered.
            "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        },
        # Processes share nothing but the database, the store and Temporal (see Settings.web_workers).
        workers or os.cpu_count() or 1,
    )
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from hub.audit import verify_chain
    from hub.db.lifecycle import database

    async def run():
        async with database(settings):
            return await verify_chain()

    report = asyncio.run(run())
    if report.intact:
        print(f"Audit log intact: {report.checked} events, each chained to the one before.")
        return 0
    print(f"Audit log TAMPERED: {len(report.problems)} problem(s) in {report.checked} events:", file=sys.stderr)
    for problem in report.problems:
        print(f"  - {problem}", file=sys.stderr)
    return 2


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    from forms.catalog import load_catalog
    from hub.db.lifecycle import database
    from hub.retention import run_retention
    from hub.sealing import configure_from

    configure_from(settings)

    async def run():
        async with database(settings):
            return await run_retention(settings, load_catalog(settings.catalog_path))

    report = asyncio.run(run())
    drafts = sum(report.drafts_purged.values())
    print(
        f"Retention applied: {report.anonymised} closed request(s) anonymised, "
        f"{report.life_events_anonymised} life event case(s) anonymised, {drafts} draft(s) purged, "
        f"{report.sessions_purged} expired session(s) and {report.sign_in_counters_purged} sign-in counter(s) removed."
    )
    return 0


def cmd_data_key_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from hub.sealing import configure_from

    try:
        key_id = configure_from(settings).rotate()
    except RuntimeError as exc:  # the keys come from the environment: rotated there
        print(f"Cannot rotate: {exc}", file=sys.stderr)
        return 1
    print(f"New data key {key_id} seals from now on; earlier keys still open what they sealed.")
    return 0


def cmd_data_key_seal_answers(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from forms.catalog import load_catalog
    from hub.db.lifecycle import database
    from hub.requests.resealing import seal_personal_answers
    from hub.sealing import configure_from

    configure_from(settings)

    async def run():
        async with database(settings):
            with tqdm(desc="requests checked", unit=" requests") as bar:
                return await seal_personal_answers(load_catalog(settings.catalog_path), bar.update)

    report = asyncio.run(run())
    print(
        f"{report.checked} request(s) checked: personal answers left in clear sealed in {report.requests} "
        f"request(s) and {report.supplements} supplement(s)."
    )
    return 0


def cmd_catalog_check(settings: Settings, args: argparse.Namespace) -> int:
    from forms.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog(args.directory or settings.catalog_path)
    except CatalogError as exc:
        print(f"The catalog has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    years = ", ".join(str(year) for year in sorted(catalog.calendars)) or "none"
    print(
        f"Catalog OK: {len(catalog.departments)} departments, {len(catalog.services)} service versions, "
        f"{len(catalog.life_events)} life events, working-day calendars: {years}."
    )
    _print_sms_lengths(Path(args.directory or settings.catalog_path))
    return 0


def _print_sms_lengths(directory: Path) -> None:
    """Each message's SMS length in Chinese against one segment, as the check measured it."""
    from forms.notifications import SMS_SEGMENT, load_templates, sms_lengths

    if (directory / "notifications.toml").exists():
        lengths = sms_lengths(load_templates(directory / "notifications.toml"))
        shown = ", ".join(f"{kind} {n}/{SMS_SEGMENT}" for kind, n in lengths.items()) or "not translated yet"
        print(f"SMS in Chinese (characters per segment): {shown}.")


def cmd_catalog_materials(settings: Settings, args: argparse.Namespace) -> int:
    """Per service, the materials asked and how many are still uploaded; fails below the goal."""
    from forms.catalog import load_catalog
    from hub.catalog.materials import materials_figure

    figure = materials_figure(load_catalog(settings.catalog_path), args.locale)
    print(
        f"{'service':<40} {'asked':>5} {'upload':>6} {'credential':>10} {'registry':>8} {'commitment':>10} "
        f"{'no copy':>7}"
    )
    for s in figure.services:
        print(
            f"{s.id + ' v' + str(s.version):<40} {s.asked:>5} {s.uploaded:>6} {s.by_credential:>10} "
            f"{s.by_registry:>8} {s.by_commitment:>10} {s.no_copy:>7}"
        )
    print(
        f"{figure.without_upload} of {figure.asked} materials need no upload "
        f"({figure.share_without_upload:.1%}; goal {figure.goal:.0%})."
    )
    return 0 if figure.share_without_upload >= figure.goal else 1


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """Everything on one machine: Temporal (unless configured), database, demo data, worker, web."""
    from hub.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
    from hub.temporal import DevServer

    settings.var_path.mkdir(parents=True, exist_ok=True)
    temporal = None
    if settings.embedded_temporal:
        temporal = DevServer(
            settings.var_path / "temporal.db",
            settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            log_file=settings.var_path / "temporal.log",
        )
        print(f"Starting Temporal dev server (state in {temporal.db_file}) …", flush=True)
        try:
            temporal.start()
        except RuntimeError as exc:
            print(f"Cannot start the hub: {exc}", file=sys.stderr)
            return 1

    children: list[tuple[str, subprocess.Popen]] = []
    mail_server = None
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        created = asyncio.run(_migrate_and_seed(settings, seed=settings.seed_demo))
        env = dict(os.environ)
        # On one machine the web server uses every core unless told otherwise.
        env.setdefault("QINQING_WEB_WORKERS", "0")
        if temporal is not None:
            env["TEMPORAL_ADDRESS"] = temporal.address
        if not settings.smtp_url:
            # The embedded default: a local mail server keeps the emails sent (listed at /admin/messages).
            from hub.notifications.local import start_local_mail_server

            mail_server = start_local_mail_server(settings, settings.local_smtp_port)
            env["QINQING_SMTP_URL"] = f"smtp://127.0.0.1:{mail_server.port}"
            print(f"Local mail server on 127.0.0.1:{mail_server.port} (emails kept under var/mailbox)")
        for name in ("worker", "serve"):
            # Own sessions: the terminal's Ctrl-C comes here, and we stop the children in order.
            proc = subprocess.Popen([sys.executable, "-m", "hub.cli", name], env=env, start_new_session=True)
            children.append((name, proc))
        _wait_for_web(settings, children)
        _print_banner(settings, temporal, created, DEMO_ACCOUNTS, DEMO_PASSWORD)
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(
                        f"The {name} process exited with code {proc.returncode}; stopping the hub.",
                        file=sys.stderr,
                    )
                    stopping, code = True, 1
            time.sleep(0.3)
    finally:
        print("Stopping …", flush=True)
        for _name, proc in reversed(children):  # web first, then the worker finishes in-flight work
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if mail_server is not None:
            mail_server.stop()
        if temporal is not None:
            temporal.stop()
        print("Stopped. Run `qinqing up` again to continue where you left off.")
    return code


def _wait_for_web(
    settings: Settings,
    children: list[tuple[str, subprocess.Popen]],
    timeout: float = 60,
) -> None:
    from hub.temporal import port_open

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not port_open(host, settings.port):
        if any(proc.poll() is not None for _, proc in children):
            return
        time.sleep(0.2)


def _print_banner(settings: Settings, temporal, created, accounts, password) -> None:
    base = settings.base_url
    lines = [
        "",
        "Qinqing Hub is running.",
        f"  Portal             {base}/",
        f"  API                {base}/api/services",
        f"  API documentation  {base}/schema/swagger",
        f"  Health             {base}/health",
    ]
    if temporal is not None:
        lines.append(f"  Temporal UI        http://127.0.0.1:{settings.temporal_ui_port}")
        lines.append(f"  Temporal server    {temporal.address}")
    else:
        lines.append(f"  Temporal server    {settings.temporal_target} (external)")
    lines.append(f"  Database           {'PostgreSQL' if settings.uses_postgres else settings.sqlite_path}")
    if settings.seed_demo:
        by_role: dict[str, list[str]] = {}
        for username, _, role, *_ in accounts:
            by_role.setdefault(role, []).append(username)
        lines.append(f"  Demo accounts (password {password!r}):")
        lines += [f"    {role:<11} {', '.join(names)}" for role, names in by_role.items()]
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qinqing", description="Qinqing Hub: one-stop government services.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run everything on this machine (Temporal, database, worker, web)").set_defaults(
        run=cmd_up
    )
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument(
        "--workers", type=int, help="web server processes (0: one per CPU core; default QINQING_WEB_WORKERS)"
    )
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("worker", help="run the Temporal worker").set_defaults(run=cmd_worker)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=cmd_migrate)
    sub.add_parser("seed", help="migrate, then create the demo accounts").set_defaults(run=cmd_seed)
    sub.add_parser("reconcile", help="compare the ledger with the claims and budgets").set_defaults(run=cmd_reconcile)
    enterprises = sub.add_parser("enterprises", help="generate the synthetic enterprise population")
    enterprises.add_argument("count", type=int, help="how many synthetic enterprises there should be")
    enterprises.set_defaults(run=cmd_enterprises)
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check that no audit event was edited, deleted or inserted").set_defaults(
        run=cmd_audit_verify
    )
    sub.add_parser(
        "retention", help="anonymise long-closed requests, purge old drafts and expired sessions"
    ).set_defaults(run=cmd_retention)
    data_key = sub.add_parser("data-key", help="keys that seal personal data at rest")
    data_key_sub = data_key.add_subparsers(dest="data_key_command", required=True)
    data_key_sub.add_parser("rotate", help="make a new key the sealing key").set_defaults(run=cmd_data_key_rotate)
    data_key_sub.add_parser(
        "seal-answers", help="seal the personal answers left in clear (filed before their field was marked personal)"
    ).set_defaults(run=cmd_data_key_seal_answers)
    catalog = sub.add_parser("catalog", help="work with the service catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_sub.add_parser("check", help="load and check every service spec and working-day calendar")
    check.add_argument("directory", nargs="?", default=None, type=Path)
    check.set_defaults(run=cmd_catalog_check)
    materials = catalog_sub.add_parser(
        "materials", help="per service, the materials asked and how many a credential or a registry read replaces"
    )
    materials.add_argument("--locale", default="en", choices=["en", "zh_CN"])
    materials.set_defaults(run=cmd_catalog_materials)
    cockpit = sub.add_parser("cockpit", help="the cockpit's figures")
    cockpit_sub = cockpit.add_subparsers(dest="cockpit_command", required=True)
    cockpit_sub.add_parser(
        "rebuild", help="count the daily tallies again from the requests and tasks as stored"
    ).set_defaults(run=cmd_cockpit_rebuild)
    args = parser.parse_args(argv)
    _logging(os.environ.get("QINQING_LOG_LEVEL", "INFO"))
    return args.run(load_settings(), args)


if __name__ == "__main__":
    sys.exit(main())
