"""`python -m bot simulate FILE [--lang en] [--answers FILE.yaml]`: loads the files as the
bot does and runs the simulator on the terminal's streams. Exit codes: 0 done (every
case as expected), 1 a case differs or the input ended early, 2 a broken file."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.checklist import Checklist, ChecklistError
from bot.domain.checklist_file import load_checklist
from bot.i18n import CatalogError, Translations
from bot.simulator.answers_file import AnswersFileError, load_cases
from bot.simulator.cases import run_cases
from bot.simulator.session import Session
from bot.simulator.terminal import Reader, run_interactive

EXIT_BROKEN = 2
_DEFAULT_ZONE = "Europe/Moscow"  # the bot's TIMEZONE default


def simulate(
    path: Path,
    language: str | None,
    answers: Path | None,
    *,
    today: date | None = None,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    try:
        checklist = load_checklist(path)
        translations = Translations(os.environ.get("DEFAULT_LANGUAGE") or "ru")
        today = today or _today()
    except ChecklistError as error:
        stderr.write("".join(f"{problem}\n" for problem in error.problems))
        return EXIT_BROKEN
    except (CatalogError, ValueError) as error:
        stderr.write(f"leadsieve: {error}\n")
        return EXIT_BROKEN

    def write(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    chosen = _language(checklist, language)
    if chosen is None:
        languages = ", ".join(checklist.languages)
        stderr.write(f"leadsieve: --lang {language}: the checklist's languages are {languages}\n")
        return EXIT_BROKEN
    if answers is not None:
        try:
            cases = load_cases(answers, checklist, chosen)
        except AnswersFileError as error:
            stderr.write("".join(f"{problem}\n" for problem in error.problems))
            return EXIT_BROKEN
        return run_cases(checklist, cases, translations.get, today, write)
    session = Session(checklist, chosen, translations.get(chosen), today)
    return run_interactive(session, _reader(stdin, stdout), write)


def _language(checklist: Checklist, wanted: str | None) -> str | None:
    if wanted is None:
        return checklist.languages[0]
    return wanted if wanted in checklist.languages else None


def _today() -> date:
    # Relative date limits count from today in the bot's zone, as in the chat.
    name = os.environ.get("TIMEZONE") or _DEFAULT_ZONE
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"TIMEZONE: unknown time zone {name!r}") from None
    return datetime.now(zone).date()


def _reader(stdin: TextIO, stdout: TextIO) -> Reader:
    piped = not stdin.isatty()

    def read() -> str | None:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return None
        if piped:
            # Input from a pipe is not echoed by a terminal: show it, so the transcript reads.
            stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\r\n")

    return read
