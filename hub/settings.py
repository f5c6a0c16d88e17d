"""Settings: one object, read from ``QINQING_*`` environment variables, with embedded defaults.

With nothing configured the hub runs on a single machine: a SQLite file and a Temporal dev server,
both under ``var/``. Set ``QINQING_DATABASE_URL`` (postgresql://...) and ``TEMPORAL_ADDRESS``
(host:port) to use PostgreSQL and an existing Temporal cluster, ``QINQING_CONTENT_STORE_URL``
(s3://bucket/prefix) to keep documents and uploads where every machine finds them, and the key
directories to a secret every machine mounts (see docs/deploy.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from forms.catalog import CATALOG_DIR

PREFIX = "QINQING_"


class SettingsError(ValueError):
    """Settings the hub cannot start with; the message says which and why."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    var_dir: str = "var"
    # Empty: a SQLite file under var_dir. Otherwise postgresql://user:password@host:port/dbname.
    database_url: str = ""
    # Empty: the embedded Temporal dev server started by `qinqing up` on temporal_port.
    temporal_address: str = ""
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    default_locale: str = "zh_CN"
    # Processes that render PDFs (CPU-bound, so at most the number of cores helps): in the worker, and
    # in the web server from the first download of a document issued without its PDF.
    render_processes: int = 2
    # Workflow tasks (with their local activities) a worker works on at once. The rest wait in
    # Temporal's queue, where waiting costs nothing; beyond what the database can write, more at
    # once only makes each slower, until their workflow tasks time out and are done again.
    worker_workflow_tasks: int = 16
    session_hours: int = 12
    # The secret page forms' tokens are made with (at least 32 characters, e.g. 64 hex). Empty:
    # var/csrf.secret, generated on first start; set it to the same value on every web machine, or
    # a form opened from one machine is refused by another.
    csrf_secret: str = ""
    # Web server processes on this machine; 0: one per CPU core. Every piece of state they share
    # (sessions, sign-in throttles, idempotency, calendars) lives in the database, not in a process.
    web_workers: int = 1
    # One line per HTTP request on the web server's log (a load balancer usually keeps its own).
    access_log: bool = True
    seed_demo: bool = True
    # Time limits are counted in working days on the mainland calendar, plus the city's own days.
    # Comma-separated ISO dates or ranges ("2026-12-24..2026-12-26").
    extra_days_off: str = ""
    extra_working_days: str = ""
    # A reminder goes out when this share of a step's time limit has passed.
    reminder_fraction: float = 0.75
    # Approvals of requests whose amount reaches this (CNY) need a second clerk's confirmation.
    confirm_above_amount: int = 100_000
    # For tests and demonstrations only: a "working day" lasts this many seconds (0: real calendar).
    working_day_seconds: float = 0
    # A rating of 1 or 2 opens a follow-up in the service's department, due in this many working
    # days (a service's ``follow_up_days`` wins); a grievance is answered within grievance_working_days.
    follow_up_working_days: int = 5
    grievance_working_days: int = 10
    # A decided request left unrated this long invites its applicant to rate it, once; the worker
    # looks for them every rating_invitation_every_seconds.
    rating_invitation_days: float = 3
    rating_invitation_every_seconds: float = 300
    # Ed25519 keys that sign documents (<key id>.pem); empty: var/keys, generated on first start.
    # Set explicitly (a mounted secret, shared by every machine), it must already hold a key.
    signing_key_dir: str = ""
    # The signing keys themselves, for platforms that mount no files: a JSON object of key id (letters
    # and digits) -> Ed25519 private key PEM. Set, it wins over signing_key_dir; the greatest id signs.
    signing_keys: str = ""
    # Empty: the catalog shipped in forms/. A directory with departments.toml and services/*.toml.
    catalog_dir: str = ""
    # The demo's synthetic enterprise population (the four demo enterprises come on top).
    demo_enterprises: int = 3000
    # Sign-in accounts (ent0001...) for the first of them, to try claims as many enterprises.
    demo_enterprise_accounts: int = 20
    # The old-age allowance's register in the demo: synthetic residents aged 80+ with an entitlement.
    demo_beneficiaries: int = 2000
    # Claims of instant and apply-free programs: how long the claim call waits for the money
    # before answering with the claim still under way.
    claim_wait_seconds: float = 5.0
    # How often the worker passes on requests and claims stored while Temporal was unreachable.
    resume_every_seconds: float = 60.0
    # Resilience testing only: the worker exits right after completing an activity of this type (or,
    # with "notification-sent", right after a channel took a message, before that is recorded).
    fault_exit_after: str = ""
    # A service granted once per holder (``once_per``) refuses a second application while one is
    # open or in force. Test and training environments where one demo citizen files the same service
    # many times may turn the refusal off; a real deployment never does.
    enforce_once_per: bool = True
    # Training and testing only: the hub's clock (what "today" and "now" are for its rules, such as
    # which payment period is due) runs this many days ahead. Never set in a real deployment.
    clock_offset_days: int = 0
    # AES-256 keys that seal personal data at rest (<key id>.key); empty: var/data-keys, generated
    # on first start. The newest seals, all of them open, so a rotation keeps old data readable.
    # Set explicitly (a mounted secret, shared by every machine), it must already hold a key.
    data_key_dir: str = ""
    # The data keys themselves: "id:base64,id:base64" (32-byte AES keys). Set, it wins over
    # data_key_dir; the greatest id seals, all of them open.
    data_keys: str = ""
    # Where documents and uploads are stored. Empty: files under var_dir/documents (one machine).
    # s3://bucket/prefix: an S3-compatible store every machine shares. Endpoint and credentials below;
    # left empty, boto3's own (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, ...) apply.
    content_store_url: str = ""
    s3_endpoint_url: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = ""
    # Sign-in: this many failures for one username lock it for signin_lockout_seconds; a client
    # address gets more tries (several people may share one), counted over the same window.
    signin_max_failures: int = 5
    signin_max_failures_per_address: int = 50
    signin_window_seconds: int = 900
    signin_lockout_seconds: int = 900
    # API tokens for department systems: the longest lifetime an administrator may give one.
    api_token_max_days: int = 365
    # Retention: closed requests lose their personal answers after this many days; drafts are
    # purged after draft_retention_days. The worker runs retention every retention_interval_hours.
    retention_days: int = 1825
    draft_retention_days: int = 30
    retention_interval_hours: float = 24
    # External identity provider (OpenID Connect); empty issuer: local passwords only.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    # The ID-token claim that names the hub account.
    oidc_username_claim: str = "preferred_username"
    # Email: smtp://user:password@host:port (plain), smtp+starttls://... or ?starttls=true (STARTTLS),
    # smtps://... (TLS from the start). Empty: `qinqing up` runs a local mail server that keeps what
    # it receives (listed at /admin/messages); a worker started alone then sends no email.
    smtp_url: str = ""
    smtp_from: str = "Qinqing Hub <noreply@qinqing.localhost>"
    # The local mail server of `qinqing up` (when smtp_url is empty).
    local_smtp_port: int = 8025
    # SMS: the city's gateway (docs/sms-gateway.md). Empty: the hub's own local gateway, which
    # records messages (listed at /admin/messages) and posts receipts back as a provider would.
    sms_gateway_url: str = ""
    # The secret the gateway and the hub share (requests and receipts carry it as a bearer token).
    # Empty: var/sms.secret, generated on first start.
    sms_secret: str = ""
    # No SMS between these Beijing times (HH:MM-HH:MM), except urgent ones: held until the end.
    # Empty: none.
    sms_quiet_hours: str = "21:00-08:00"
    # The applicant asked for more information is asked to supply it within this many days.
    information_reply_days: int = 30

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir).resolve()

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        return self.var_path / "qinqing.sqlite"

    @property
    def documents_path(self) -> Path:
        return self.var_path / "documents"

    @property
    def catalog_path(self) -> Path:
        return Path(self.catalog_dir).resolve() if self.catalog_dir else CATALOG_DIR

    @property
    def signing_keys_path(self) -> Path:
        return Path(self.signing_key_dir).resolve() if self.signing_key_dir else self.var_path / "keys"

    @property
    def data_keys_path(self) -> Path:
        return Path(self.data_key_dir).resolve() if self.data_key_dir else self.var_path / "data-keys"

    @property
    def behind_tls(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def embedded_temporal(self) -> bool:
        return not self.temporal_address

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment; unknown or malformed values fail loudly."""
    env = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    fields = {f.name for f in msgspec.structs.fields(Settings)}
    for key, value in env.items():
        if key.startswith(PREFIX):
            name = key[len(PREFIX) :].lower()
            if name in fields:
                raw[name] = value
    # The conventional Temporal variable is honoured too.
    if "temporal_address" not in raw and env.get("TEMPORAL_ADDRESS"):
        raw["temporal_address"] = env["TEMPORAL_ADDRESS"]
    settings = msgspec.convert(raw, Settings, strict=False)
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("the hub cannot start with these settings:\n  - " + "\n  - ".join(problems))
    return settings


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with ``settings`` for every process that reads them (empty: nothing)."""
    problems = []
    if settings.csrf_secret and len(settings.csrf_secret.strip()) < 32:
        problems.append(f"{PREFIX}CSRF_SECRET is too short: at least 32 characters (e.g. 64 hex: openssl rand -hex 32)")
    url = settings.content_store_url
    if url:
        scheme, sep, rest = url.partition("://")
        if scheme != "s3" or not sep:
            problems.append(f"{PREFIX}CONTENT_STORE_URL must be empty (local files) or s3://bucket/prefix, not {url!r}")
        elif not rest.partition("/")[0]:
            problems.append(f"{PREFIX}CONTENT_STORE_URL names no bucket: {url!r} (s3://bucket/prefix)")
    elif settings.s3_endpoint_url:
        problems.append(f"{PREFIX}S3_ENDPOINT_URL is set but {PREFIX}CONTENT_STORE_URL is empty (s3://bucket/prefix)")
    # A key directory set explicitly is shared by every machine: made up on one machine, keys would
    # differ from machine to machine (documents signed on one would not verify on another, data
    # sealed on one would not open on another). Only the embedded default makes a first key.
    # Keys given in a variable win over the directory (nothing is read from it, nothing made there).
    for parse, value in ((signing_keys_from, settings.signing_keys), (data_keys_from, settings.data_keys)):
        if value:
            try:
                parse(value)
            except SettingsError as exc:
                problems.append(str(exc))
    for variable, configured, pattern, given in (
        ("SIGNING_KEY_DIR", settings.signing_key_dir, "*.pem", settings.signing_keys),
        ("DATA_KEY_DIR", settings.data_key_dir, "*.key", settings.data_keys),
    ):
        if configured and not given:
            path = Path(configured).resolve()
            if not path.is_dir():
                problems.append(
                    f"{PREFIX}{variable} is {configured!r}, which is not a directory (mount the key secret there)"
                )
            elif not any(path.glob(pattern)):
                problems.append(
                    f"{PREFIX}{variable} is {configured!r}, which holds no {pattern} key; no key is generated "
                    "in a configured directory (every machine must share the same keys): put the keys there"
                )
    return problems


def _key_id(variable: str, key_id: object) -> str:
    if not isinstance(key_id, str) or not key_id.isascii() or not key_id.isalnum():
        raise SettingsError(f"{PREFIX}{variable}: a key id must be letters and digits only")
    return key_id


def signing_keys_from(text: str) -> dict[str, bytes]:
    """``QINQING_SIGNING_KEYS``: a JSON object of key id -> Ed25519 private key in PEM (PKCS#8, no
    password), e.g. ``{"k2026": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"}``.
    Returns the PEM bytes by key id; a malformed value raises SettingsError naming the variable,
    never a key."""
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    variable = "SIGNING_KEYS"
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict) or not given:
        raise SettingsError(
            f"{PREFIX}{variable} must be a JSON object of key id -> Ed25519 private key PEM, with at least one key"
        )
    keys = {}
    for key_id, pem in given.items():
        _key_id(variable, key_id)
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None) if isinstance(pem, str) else None
        except (ValueError, TypeError):
            key = None
        if not isinstance(key, Ed25519PrivateKey):
            raise SettingsError(
                f"{PREFIX}{variable}: key {key_id!r} is not an Ed25519 private key in PEM (PKCS#8, no password)"
            )
        keys[key_id] = pem.encode()
    return keys


def data_keys_from(text: str) -> dict[str, bytes]:
    """``QINQING_DATA_KEYS``: ``id:base64,id:base64``, each a 32-byte AES-256 key in standard
    base64 (as in a ``<key id>.key`` file). Returns the keys by id; a malformed value raises
    SettingsError naming the variable, never a key."""
    import base64
    import binascii

    variable = "DATA_KEYS"
    keys: dict[str, bytes] = {}
    for part in text.split(","):
        key_id, sep, encoded = part.strip().partition(":")
        if not sep:
            raise SettingsError(f"{PREFIX}{variable} must be id:base64 pairs separated by commas")
        key_id = _key_id(variable, key_id.strip())
        if key_id in keys:
            raise SettingsError(f"{PREFIX}{variable}: key {key_id!r} is given twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise SettingsError(f"{PREFIX}{variable}: key {key_id!r} is not 32 bytes (AES-256) in base64")
        keys[key_id] = key
    return keys
