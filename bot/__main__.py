"""python -m bot [run | migrate | backup FILE [--force] | check-checklist [PATH] |
check-knowledge [PATH] | check-deal [PATH] |
simulate FILE [--lang LANG] [--answers FILE] [--today DATE]]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from datetime import date
from pathlib import Path

from bot.backup import BackupError, Where
from bot.backup import backup as backup_database
from bot.backup import describe as describe_backup
from bot.collector import settle as settle_collector
from bot.composition import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.domain.checklist import BUNDLED_CHECKLIST, ChecklistError
from bot.domain.checklist_file import load_checklist
from bot.domain.deal_file import DealFileError, load_deal, parse_people
from bot.domain.knowledge_file import KnowledgeError, load_knowledge
from bot.domain.sites_file import SitesFileError
from bot.i18n import CatalogError
from bot.logs import configure_logging
from bot.simulator.cli import simulate as run_simulator
from bot.storage.migrations import MigrationError, apply_migrations
from bot.storage.postgres import DatabaseUnavailable
from bot.storage.stores import describe, open_database
from bot.trade_files import files_from_environment

EXIT_CONFIG = 2
_STARTUP_ERRORS = (
    ConfigError,
    ChecklistError,
    SitesFileError,
    CatalogError,
    MigrationError,
    KnowledgeError,
    DealFileError,
    BackupError,
    DatabaseUnavailable,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="leadsieve Telegram bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    backup = commands.add_parser(
        "backup", help="copy the SQLite database to FILE, safely while the bot runs"
    )
    backup.add_argument("file", type=Path, help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    check = commands.add_parser("check-checklist", help="validate a checklist file and exit")
    check.add_argument(
        "path", nargs="?", type=Path, help="default: CHECKLIST_PATH or the bundled one"
    )
    check_kb = commands.add_parser(
        "check-knowledge", help="validate a knowledge-base file and exit"
    )
    check_kb.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="default: KNOWLEDGE_PATH, else knowledge.yaml next to the checklist",
    )
    check_deal = commands.add_parser("check-deal", help="validate a deal timeline file and exit")
    check_deal.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="default: DEAL_PATH, else deal.yaml next to the checklist",
    )
    simulate = commands.add_parser(
        "simulate", help="walk a checklist in the terminal, or check its expected outcomes"
    )
    simulate.add_argument("path", type=Path, help="the checklist file")
    simulate.add_argument("--lang", help="the prospect's language (default: the file's first)")
    simulate.add_argument("--answers", type=Path, help="run the cases of an answers file")
    simulate.add_argument(
        "--today",
        type=date.fromisoformat,
        help="YYYY-MM-DD: the day typed dates count from (default: today in TIMEZONE)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "check-checklist":
            return _check_checklist(args.path)
        if args.command == "check-knowledge":
            return _check_knowledge(args.path)
        if args.command == "check-deal":
            return _check_deal(args.path)
        if args.command == "backup":
            return _backup(args.file, force=args.force)
        if args.command == "simulate":
            return run_simulator(
                args.path,
                args.lang,
                args.answers,
                today=args.today,
                stdin=sys.stdin,
                stdout=sys.stdout,
                stderr=sys.stderr,
            )
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, replica=settings.replica_name)
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
            return 0
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings))
        return 0
    except _STARTUP_ERRORS as error:
        sys.stderr.write(f"leadsieve: {error}\n")
        return EXIT_CONFIG


def _backup(file: Path, *, force: bool) -> int:
    # Needs no token: DATABASE_PATH (or DATABASE_URL) is all it reads.
    report = backup_database(Where().sqlite_path(), file, force=force)
    sys.stdout.write(describe_backup(report))
    return 0 if report.integrity == "ok" else 1


def _check_checklist(path: Path | None) -> int:
    # Needs no token: an operator checks an edited file before deploying it.
    path = path or Path(os.environ.get("CHECKLIST_PATH") or BUNDLED_CHECKLIST)
    checklist = load_checklist(path)
    sys.stdout.write(
        f"{path}: OK, {checklist.id} v{checklist.version}, {len(checklist.questions)} questions\n"
    )
    return 0


def _check_knowledge(path: Path | None) -> int:
    files = files_from_environment(os.environ)
    path = path or files.knowledge
    if path is None:
        return _nothing_to_check("knowledge", files.checklist)
    knowledge = load_knowledge(path)
    sys.stdout.write(
        f"{path}: OK, v{knowledge.version}, {len(knowledge.entries)} entries "
        f"({', '.join(knowledge.languages)})\n"
    )
    return 0


def _check_deal(path: Path | None) -> int:
    # DEAL_PEOPLE, when set, is checked against the file's roles as at start-up.
    files = files_from_environment(os.environ)
    path = path or files.deal
    if path is None:
        return _nothing_to_check("deal", files.checklist)
    try:
        people = parse_people(os.environ.get("DEAL_PEOPLE", ""))
    except ValueError as error:
        raise DealFileError([f"DEAL_PEOPLE: {error}"]) from None
    deal_file = load_deal(path, people)
    sys.stdout.write(
        f"{path}: OK, {deal_file.id} v{deal_file.version}, {len(deal_file.stages)} stages, "
        f"{len(deal_file.roles)} roles, {len(deal_file.rules)} rules\n"
    )
    return 0


def _nothing_to_check(part: str, checklist: Path) -> int:
    sys.stderr.write(
        f"leadsieve: no {part} file: {part.upper()}_PATH is not set and there is no "
        f"{part}.yaml next to {checklist}\n"
    )
    return EXIT_CONFIG


async def _migrate(settings: Settings) -> None:
    db = open_database(settings)
    await db.connect()
    try:
        applied = await apply_migrations(db)
    finally:
        await db.close()
    sys.stdout.write(f"{describe(settings)}: {len(applied)} migration(s) applied\n")


async def _run(settings: Settings) -> None:
    app = await build_application(settings)
    settle_collector()
    try:
        await app.run()
    finally:
        await app.close()


if __name__ == "__main__":
    sys.exit(main())
