"""Settings: defaults, parsing, and one readable line for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.domain.checklist import BUNDLED_CHECKLIST

TOKEN = "123456:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No developer .env or shell variables leak into these tests.
    monkeypatch.chdir(tmp_path)
    for name in (
        "BOT_TOKEN",
        "TIMEZONE",
        "ADMIN_IDS",
        "STAFF_CHAT_ID",
        "CHECKLIST_PATH",
        "WEB_PORT",
        "SALES_DESK_URL",
        "SALES_DESK_SECRET",
        "SALES_DESK_FORMAT",
        "SALES_DESK_EVENTS",
        "SALES_DESK_VERDICTS",
        "SALES_DESK_STATUS_MAP",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_only_the_token_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.database_path == Path("data/leadsieve.sqlite3")
    assert settings.checklist_path == BUNDLED_CHECKLIST
    assert settings.default_language == "ru"
    assert settings.timezone == "Europe/Moscow"
    assert settings.staff_chat_id is None
    assert settings.admin_ids == ()


def test_database_url_chooses_postgres_and_other_schemes_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.storage.postgres import PostgresDatabase
    from bot.storage.sqlite import SQLiteDatabase
    from bot.storage.stores import open_database

    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    assert isinstance(open_database(load_settings()), SQLiteDatabase)
    monkeypatch.setenv("DATABASE_URL", "")  # set but empty: still the SQLite file
    assert isinstance(open_database(load_settings()), SQLiteDatabase)
    for url in ("postgresql://bot:hunter2@db/leads", "postgres://bot@db:5433/leads"):
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("DATABASE_POOL_SIZE", "4")
        store = open_database(load_settings())
        assert isinstance(store, PostgresDatabase)
        assert (store.url, store.pool_size) == (url, 4)
        assert "hunter2" not in repr(load_settings())
    monkeypatch.setenv("DATABASE_URL", "mysql://bot@db/leads")
    with pytest.raises(ConfigError, match=r"DATABASE_URL.*postgresql://"):
        load_settings()


def test_env_file_and_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 22,333\nSTAFF_CHAT_ID=-100123\n"
    )
    settings = load_settings()
    assert settings.admin_ids == (1, 22, 333)
    assert settings.staff_chat_id == -100123


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "BOT_TOKEN is required"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN does not look like a Telegram bot token"),
        (
            {"BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"},
            "TIMEZONE unknown time zone 'Mars/Olympus'",
        ),
        ({"BOT_TOKEN": TOKEN, "ADMIN_IDS": "1,two"}, "ADMIN_IDS must be comma-separated numeric"),
        ({"BOT_TOKEN": TOKEN, "WEB_PORT": "99999"}, "WEB_PORT"),
        ({"BOT_TOKEN": TOKEN, "LEASE_SECONDS": "2"}, "LEASE_SECONDS"),
    ],
)
def test_mistakes_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_main_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "nope")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leadsieve: BOT_TOKEN does not look like")
    assert err.count("\n") == 1


def test_check_checklist_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check-checklist"]) == 0
    assert "OK" in capsys.readouterr().out
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: [\n")
    assert main(["check-checklist", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err


def test_a_broken_checklist_stops_the_real_process(tmp_path: Path) -> None:
    """The operator's view: a real `python -m bot`, exit code 2, the file and line, no traceback."""
    broken = tmp_path / "checklist.yaml"
    text = BUNDLED_CHECKLIST.read_text(encoding="utf-8").replace("kind: single", "kind: sinlge", 1)
    broken.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "kind: sinlge" in row)
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env={
            "BOT_TOKEN": TOKEN,
            "CHECKLIST_PATH": str(broken),
            "DATABASE_PATH": str(tmp_path / "db"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{broken}:{line}:" in result.stderr
    assert "sinlge" in result.stderr


def test_sales_desk_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SALES_DESK_URL", "https://crm.example.com/hooks/leadsieve/")
    monkeypatch.setenv("SALES_DESK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    monkeypatch.setenv("SALES_DESK_EVENTS", "lead.qualified, viewing.booked")
    monkeypatch.setenv("SALES_DESK_VERDICTS", "target")
    monkeypatch.setenv("SALES_DESK_STATUS_MAP", "target=NEW, reject=JUNK,deal=CONVERTED")
    settings = load_settings()
    assert settings.sales_desk_url == "https://crm.example.com/hooks/leadsieve"
    assert settings.sales_desk_events == ("lead.qualified", "viewing.booked")
    assert settings.sales_desk_verdicts == ("target",)
    assert settings.sales_desk_status_map == {
        "target": "NEW",
        "reject": "JUNK",
        "deal": "CONVERTED",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SALES_DESK_EVENTS": "lead.qualifed"},
            "SALES_DESK_EVENTS unknown event type 'lead.qualifed'",
        ),
        ({"SALES_DESK_VERDICTS": "target,hot"}, "SALES_DESK_VERDICTS must list verdicts"),
        ({"SALES_DESK_STATUS_MAP": "sold=WON"}, "SALES_DESK_STATUS_MAP 'sold=WON' is not"),
        ({"SALES_DESK_URL": "https://crm.example.com"}, "SALES_DESK_SECRET is required"),
        (
            {"SALES_DESK_URL": "https://crm.example.com", "SALES_DESK_SECRET": "hunter2"},
            "SALES_DESK_SECRET must be a whsec_",
        ),
        (
            {"SALES_DESK_URL": "https://x.amocrm.ru", "SALES_DESK_FORMAT": "amocrm"},
            "SALES_DESK_SECRET is required with SALES_DESK_FORMAT=amocrm",
        ),
    ],
)
def test_sales_desk_mistakes_are_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_a_bitrix24_portal_needs_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SALES_DESK_URL", "https://acme.bitrix24.ru/rest/1/abc123xyz/")
    monkeypatch.setenv("SALES_DESK_FORMAT", "bitrix24")
    assert load_settings().sales_desk_format == "bitrix24"
