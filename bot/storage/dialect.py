"""SQLite-flavoured SQL as PostgreSQL reads it: pure functions, each result cached per string.

The repositories write `?` placeholders and a few SQLite spellings; `translate` turns a
statement into PostgreSQL once, and `translate_ddl` does the same for a migration file's
CREATE/ALTER statements (types and defaults). Quoted literals, quoted names and comments
are never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

# SQLite's default for "now" in migrations, as the same text on PostgreSQL.
PG_NOW_TEXT = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


class TranslationError(Exception):
    """A statement uses a spelling the PostgreSQL store cannot translate."""


def _segments(sql: str) -> Iterator[tuple[bool, str]]:
    """Splits SQL into (is_code, text): code, and literals/quoted names/comments as they are."""
    i = 0
    start = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        end = -1
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            end += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif ch == "$":
            match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if match and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                tag = match.group(0)
                close = sql.find(tag, i + len(tag))
                end = n if close < 0 else close + len(tag)
        if end < 0:
            i += 1
            continue
        if start < i:
            yield True, sql[start:i]
        yield False, sql[i:end]
        i = start = end
    if start < n:
        yield True, sql[start:]


def _map_code(sql: str, change: Callable[[str], str]) -> str:
    return "".join(change(text) if code else text for code, text in _segments(sql))


_NUMBERED = re.compile(r"\?(\d*)")


def number_placeholders(sql: str) -> str:
    """`?` → `$1`, `$2`, … in order, and SQLite's `?2` → `$2`, outside literals and comments."""
    counter = 0

    def place(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(1):
            return f"${int(match.group(1))}"
        counter += 1
        return f"${counter}"

    def number(text: str) -> str:
        return _NUMBERED.sub(place, text)

    return _map_code(sql, number)


def _call_args(sql: str, open_paren: int) -> tuple[list[str], int]:
    """The top-level arguments of the call whose "(" is at `open_paren`, and its ")" + 1."""
    depth = 0
    args: list[str] = []
    current: list[str] = []
    i = open_paren
    # Literals may hold parentheses and commas: walk segments, not characters.
    pieces = list(_segments(sql[open_paren:]))
    for code, text in pieces:
        if not code:
            current.append(text)
            i += len(text)
            continue
        for ch in text:
            i += 1
            if ch == "(":
                depth += 1
                if depth == 1:
                    continue
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    args.append("".join(current).strip())
                    return args, i
            elif ch == "," and depth == 1:
                args.append("".join(current).strip())
                current = []
                continue
            current.append(ch)
    raise TranslationError(f"unbalanced parentheses in: {sql[:80]}")


_JSON_PATH = re.compile(r"^'\$\.([A-Za-z_][A-Za-z0-9_]*)'$")


def _json_extract(args: list[str]) -> str:
    if len(args) != 2 or not _JSON_PATH.match(args[1]):
        raise TranslationError("json_extract needs a literal '$.key' path on PostgreSQL")
    key = _JSON_PATH.match(args[1])
    assert key is not None
    return f"(({args[0]})::jsonb ->> '{key.group(1)}')"


def _max_min(name: str) -> Callable[[list[str]], str | None]:
    def rewrite(args: list[str]) -> str | None:
        if len(args) < 2:
            return None  # the aggregate: left as it is
        return f"{name}({', '.join(args)})"

    return rewrite


_FUNCTIONS: dict[str, Callable[[list[str]], str | None]] = {
    "json_extract": _json_extract,
    "instr": lambda args: f"strpos({', '.join(args)})",
    "max": _max_min("GREATEST"),
    "min": _max_min("LEAST"),
}
_FUNCTION_RE = re.compile(r"\b(json_extract|instr|max|min)\s*\(", re.IGNORECASE)


def _rewrite_functions(sql: str) -> str:
    """SQLite functions with a PostgreSQL spelling of their own, innermost calls included."""
    out: list[str] = []
    position = 0
    while True:
        match = _next_code_match(_FUNCTION_RE, sql, position)
        if match is None:
            out.append(sql[position:])
            return "".join(out)
        open_paren = match.end() - 1
        args, after = _call_args(sql, open_paren)
        args = [_rewrite_functions(arg) for arg in args]
        replaced = _FUNCTIONS[match.group(1).lower()](args)
        out.append(sql[position : match.start()])
        if replaced is None:
            out.append(f"{match.group(1)}({', '.join(args)})")
        else:
            out.append(replaced)
        position = after


def _next_code_match(pattern: re.Pattern[str], sql: str, position: int) -> re.Match[str] | None:
    offset = 0
    for code, text in _segments(sql):
        end = offset + len(text)
        if code and end > position:
            match = pattern.search(sql, max(position, offset), end)
            if match is not None:
                return match
        offset = end
    return None


_INSERT_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_IS_NOT_PARAM = re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+\?", re.IGNORECASE)
_CAST_INTEGER = re.compile(r"\bAS\s+INTEGER\b", re.IGNORECASE)
# SQLite's unary + on a column keeps its planner off an index; PostgreSQL has no + for text.
_UNARY_PLUS = re.compile(r"(\bWHERE|\bAND|\bOR|\bON|\()(\s*)\+(?=\s*[A-Za-z_])", re.IGNORECASE)


def _insert_or_ignore(sql: str) -> str:
    if _next_code_match(_INSERT_OR_IGNORE, sql, 0) is None:
        return sql
    sql = _map_code(sql, lambda text: _INSERT_OR_IGNORE.sub("INSERT INTO", text))
    returning = _next_code_match(_RETURNING, sql, 0)
    body = sql.rstrip().rstrip(";").rstrip()
    if returning is None:
        return f"{body}\nON CONFLICT DO NOTHING"
    head, tail = sql[: returning.start()].rstrip(), sql[returning.start() :]
    return f"{head}\nON CONFLICT DO NOTHING\n{tail}"


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """A repository's statement as PostgreSQL runs it."""
    sql = _insert_or_ignore(sql)

    def words(text: str) -> str:
        text = _IS_NOT_PARAM.sub("IS DISTINCT FROM ?", text)
        text = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", text)
        text = _UNARY_PLUS.sub(r"\1\2", text)
        return _CAST_INTEGER.sub("AS BIGINT", text)

    sql = _map_code(sql, words)
    sql = _rewrite_functions(sql)
    return number_placeholders(sql)


_ID_PRIMARY_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE)
_AUTOINCREMENT = re.compile(r"\s+AUTOINCREMENT\b", re.IGNORECASE)
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
_REAL = re.compile(r"\bREAL\b", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID", re.IGNORECASE)
_SQLITE_NOW = re.compile(r"strftime\(\s*'%Y-%m-%dT%H:%M:%fZ'\s*,\s*'now'\s*\)", re.IGNORECASE)
_UNTRANSLATABLE = re.compile(
    r"\b(CREATE\s+TRIGGER|json_object|json_extract|json_remove|strftime|PRAGMA)\b", re.IGNORECASE
)


def translate_ddl(statement: str) -> str:
    """A migration statement as PostgreSQL runs it; raises when it needs a twin file.

    Telegram ids exceed 32 bits, so every INTEGER is BIGINT; an `id INTEGER PRIMARY KEY`
    (SQLite's rowid) draws its values from an identity, as it does from the rowid.
    """

    def words(text: str) -> str:
        text = _ID_PRIMARY_KEY.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text)
        text = _AUTOINCREMENT.sub("", text)
        text = _INTEGER.sub("BIGINT", text)
        text = _REAL.sub("DOUBLE PRECISION", text)
        return _WITHOUT_ROWID.sub(")", text)

    # The pattern spans quoted literals of its own, so it runs on the whole text.
    translated = _map_code(_SQLITE_NOW.sub(PG_NOW_TEXT, statement), words)
    if _next_code_match(_UNTRANSLATABLE, translated, 0) is not None:
        raise TranslationError(
            "this migration needs a PostgreSQL twin (NNNN_name.postgres.sql): "
            f"{statement.strip()[:80]}"
        )
    return translated


def split_statements(sql: str) -> list[str]:
    """Statements of a PostgreSQL file: split at `;` outside literals, comments and $$ bodies."""
    statements: list[str] = []
    current: list[str] = []
    for code, text in _segments(sql):
        if not code:
            current.append(text)
            continue
        parts = text.split(";")
        for part in parts[:-1]:
            current.append(part)
            statement = "".join(current).strip()
            if _has_code(statement):
                statements.append(statement)
            current = []
        current.append(parts[-1])
    rest = "".join(current).strip()
    if _has_code(rest):
        raise TranslationError(f"unterminated statement: {rest[:60]}")
    return statements


def _has_code(statement: str) -> bool:
    return any(code and text.strip() for code, text in _segments(statement))
