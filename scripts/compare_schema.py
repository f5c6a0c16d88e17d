"""Compare the schema two sets of migrations make, on SQLite and on PostgreSQL.

Builds an empty database from the migrations of a git revision, another from the migrations in the
working tree, and compares what they hold: on SQLite the ``sqlite_master`` statements, normalised
(column definitions in name order, whitespace and quoting evened out), and each table's columns,
foreign keys and indexes as SQLite reports them, declared VARCHAR lengths listed apart (SQLite
enforces none, and Piccolo cannot change one there); on PostgreSQL ``information_schema.columns``,
the constraints and ``pg_indexes``. Written to check that one squashed migration makes exactly the
schema the migrations it replaced made:

    .venv/bin/python scripts/compare_schema.py REVISION [--postgres ADMIN_URL]

``ADMIN_URL`` is a PostgreSQL server where databases may be created (``scripts/start-postgres``
prints one); two are made and dropped. Prints the differences; exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = "hub/db/migrations"


# Building one database (run in a process of its own: Piccolo imports migrations by module name) --


async def apply(folder: str) -> None:
    sys.path.insert(0, str(ROOT))
    from hub.db.lifecycle import database, migrate
    from hub.db.piccolo_app import APP_CONFIG
    from hub.settings import load_settings

    APP_CONFIG.migrations_folder_path = folder
    settings = load_settings()
    async with database(settings):
        await migrate(settings)


# Reading a schema ------------------------------------------------------------------------------


def _even(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql.replace('"', "").replace("`", "")).strip()
    sql = re.sub(r"\( ", "(", re.sub(r" \)", ")", sql))
    return sql.replace("IF NOT EXISTS ", "")


def _split_top_level(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in body:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [_even(p) for p in parts if p.strip()]


def _normal_table_sql(sql: str) -> dict:
    head, _, rest = sql.partition("(")
    body = rest[: rest.rfind(")")]
    return {"create": _even(head), "definitions": sorted(_split_top_level(body))}


def _index(db: sqlite3.Connection, index: sqlite3.Row) -> str:
    """An index as SQLite reports it (an automatic one's name depends on the order columns came in)."""
    name = index["name"]
    columns = ", ".join(c["name"] for c in db.execute(f'PRAGMA index_info("{name}")'))
    described = f"{'unique ' if index['unique'] else ''}{index['origin']} ({columns})"
    return described if name.startswith("sqlite_autoindex") else f"{described} {name}"


def sqlite_schema(path: Path) -> dict:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    schema: dict = {}
    for row in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"):
        if row["name"].startswith("sqlite_autoindex"):
            continue  # described with the table's indexes below
        if row["type"] == "table":
            table = row["name"]
            columns = {
                c["name"]: {
                    "type": c["type"].upper(),
                    "notnull": c["notnull"],
                    "default": c["dflt_value"],
                    "pk": c["pk"],
                }
                for c in db.execute(f'PRAGMA table_info("{table}")')
            }
            keys = sorted(
                f"{k['from']} -> {k['table']}({k['to']}) ON UPDATE {k['on_update']} ON DELETE {k['on_delete']}"
                for k in db.execute(f'PRAGMA foreign_key_list("{table}")')
            )
            indexes = sorted(_index(db, i) for i in db.execute(f'PRAGMA index_list("{table}")'))
            schema[f"table {table}"] = {
                "sqlite_master": _normal_table_sql(row["sql"]),
                "columns": columns,
                "foreign keys": keys,
                "indexes": indexes,
            }
        else:
            schema[f"{row['type']} {row['name']}"] = {"sqlite_master": _even(row["sql"] or "")}
    db.close()
    return schema


async def postgres_schema(url: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        schema: dict = {}
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,"
            " is_nullable, column_default, is_identity FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, column_name"
        )
        for c in columns:
            table = schema.setdefault(f"table {c['table_name']}", {"columns": {}, "constraints": [], "indexes": {}})
            values = dict(c)
            del values["table_name"], values["column_name"]
            table["columns"][c["column_name"]] = values
        constraints = await conn.fetch(
            "SELECT rel.relname AS table_name, con.conname, pg_get_constraintdef(con.oid) AS definition"
            " FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid"
            " JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = 'public'"
        )
        for c in constraints:
            schema[f"table {c['table_name']}"]["constraints"].append(f"{c['conname']}: {c['definition']}")
        for table in schema.values():
            table["constraints"].sort()
        indexes = await conn.fetch("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        for i in indexes:
            schema[f"table {i['tablename']}"]["indexes"][i["indexname"]] = i["indexdef"]
        return schema
    finally:
        await conn.close()


# Comparing -------------------------------------------------------------------------------------


def differences(old: dict, new: dict, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            where = f"{path} / {key}" if path else key
            if key not in new:
                found.append(f"only in the old schema: {where}: {json.dumps(old[key], ensure_ascii=False)}")
            elif key not in old:
                found.append(f"only in the new schema: {where}: {json.dumps(new[key], ensure_ascii=False)}")
            else:
                found += differences(old[key], new[key], where)
        return found
    if old != new:
        return [f"{path}: old {json.dumps(old, ensure_ascii=False)} != new {json.dumps(new, ensure_ascii=False)}"]
    return []


def old_migrations(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", revision, f"{MIGRATIONS}/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        if name.endswith(".py"):
            text = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=ROOT, capture_output=True, check=True)
            (into / Path(name).name).write_bytes(text.stdout)
    (into / "__init__.py").touch()
    return into


def build(folder: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, __file__, "--apply", str(folder)],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"migrations in {folder} failed:\n{result.stdout}\n{result.stderr}")


def _without_lengths(node):
    """The schema with VARCHAR(n) read as VARCHAR."""
    if isinstance(node, dict):
        return {k: _without_lengths(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_lengths(v) for v in node]
    return re.sub(r"VARCHAR\(\d+\)", "VARCHAR", node) if isinstance(node, str) else node


def compare_sqlite(old: Path, new: Path, tmp: Path) -> tuple[list[str], list[str]]:
    """The differences, and apart from them those of declared VARCHAR lengths only: SQLite enforces
    no length, and Piccolo cannot alter a column there, so a migration that widened a column left
    SQLite's declaration as it was."""
    schemas = []
    for side, folder in (("old", old), ("new", new)):
        var = tmp / f"sqlite-{side}"
        env = {"QINQING_VAR_DIR": str(var), "QINQING_DATABASE_URL": ""}
        build(folder, env)
        schemas.append(sqlite_schema(var / "qinqing.sqlite"))
    found = differences(*[_without_lengths(s) for s in schemas])
    lengths = [d for d in differences(*schemas) if "/ columns /" in d and d.endswith('"') and "VARCHAR(" in d]
    return found, lengths


def compare_postgres(old: Path, new: Path, tmp: Path, admin_url: str) -> tuple[list[str], list[str]]:
    sys.path.insert(0, str(ROOT))
    from tests.stack.harness import create_postgres_database, drop_postgres_database

    schemas = []
    for side, folder in (("old", old), ("new", new)):
        url, name = create_postgres_database(admin_url)
        try:
            build(folder, {"QINQING_VAR_DIR": str(tmp / f"postgres-{side}"), "QINQING_DATABASE_URL": url})
            schemas.append(asyncio.run(postgres_schema(url)))
        finally:
            drop_postgres_database(admin_url, name)
    return differences(*schemas), []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", nargs="?", help="the git revision whose migrations make the old schema")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also compare on this PostgreSQL server")
    parser.add_argument(
        "--new", metavar="FOLDER", help="the migrations of the new schema (default: the working tree's)"
    )
    parser.add_argument("--apply", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.apply:
        asyncio.run(apply(args.apply))
        return 0
    if not args.revision:
        parser.error("name the revision whose migrations to compare with")
    failed = False
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        old = old_migrations(args.revision, tmp / "old" / "migrations")
        new = Path(args.new).resolve() if args.new else ROOT / MIGRATIONS
        engines = [("SQLite", lambda: compare_sqlite(old, new, tmp))]
        if args.postgres:
            engines.append(("PostgreSQL", lambda: compare_postgres(old, new, tmp, args.postgres)))
        for engine, compare in engines:
            found, lengths = compare()
            print(f"{engine}: {'identical' if not found else f'{len(found)} differences'}")
            for line in found:
                print(f"  {line}")
            if lengths:
                print(f"  declared lengths, which {engine} does not enforce:")
                for line in lengths:
                    print(f"    {line}")
            failed |= bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
