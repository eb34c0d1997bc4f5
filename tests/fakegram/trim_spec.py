"""Write tests/data/botapi_spec.json: the slice of the Bot API spec that leadsieve uses.

The full machine-readable spec (PaulSonOfLars/telegram-bot-api-spec, api.json) lives in the
shared folder, which does not exist on every machine that runs the tests.  This script keeps
only the methods the bot calls plus every type reachable from their parameters and results,
so the committed file stays small and the validator never needs the shared folder.

Usage (from the project root):
    .venv/bin/python -m tests.fakegram.trim_spec [path/to/api.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = PROJECT_ROOT / ".." / "shared" / "telegram-bot-api" / "api.json"
OUTPUT = PROJECT_ROOT / "tests" / "data" / "botapi_spec.json"

SOURCE_REPOSITORY = "PaulSonOfLars/telegram-bot-api-spec"
SOURCE_PATH = "api.json"
SOURCE_COMMIT = "160fd99507e1c7c77e92dc90f5993d724735b51c"

# Every Bot API method leadsieve calls; anything else is "not supported by the stand-in".
KEPT_METHODS = (
    "getMe",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "logOut",
    "close",
    "setMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "sendDocument",
    "sendPhoto",
    "sendLocation",
    "sendVenue",
    "getChat",
    "getChatMember",
    "createForumTopic",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "pinChatMessage",
    # The relay between a prospect's chat and the lead's topic.
    "copyMessage",
    "copyMessages",
    "editMessageCaption",
    "setMessageReaction",
    # A deal's documents: downloaded under DOCUMENTS_DIR.
    "getFile",
)

# The source only states a union member's tag in prose ("always \"creator\"",
# "must be default"); the validator needs it as data to pick the right member.
_CONST_RE = re.compile(r"(?:always|must be) [\"“]?([A-Za-z0-9_]+)[\"”]?\s*$")
_DISCRIMINATORS = frozenset({"type", "status", "source"})


def _base_type(type_expr: str) -> str:
    while type_expr.startswith("Array of "):
        type_expr = type_expr.removeprefix("Array of ")
    return type_expr


def _trim_fields(owner: dict[str, Any], *, with_consts: bool) -> list[dict[str, Any]]:
    fields = []
    for field in owner.get("fields", []):
        trimmed: dict[str, Any] = {
            "name": field["name"],
            "types": field["types"],
            "required": field["required"],
        }
        if with_consts and field["name"] in _DISCRIMINATORS:
            match = _CONST_RE.search(field.get("description", ""))
            if match:
                trimmed["const"] = match.group(1)
        fields.append(trimmed)
    return fields


def trim(api: dict[str, Any]) -> dict[str, Any]:
    """Return the trimmed spec for KEPT_METHODS (raises KeyError if one is missing)."""
    all_types: dict[str, Any] = api["types"]
    methods: dict[str, Any] = {}
    pending: list[str] = []
    for name in KEPT_METHODS:
        method = api["methods"][name]
        methods[name] = {
            "name": name,
            "href": method["href"],
            "fields": _trim_fields(method, with_consts=False),
            "returns": method["returns"],
        }
        for field in method.get("fields", []):
            pending.extend(_base_type(t) for t in field["types"])
        pending.extend(_base_type(t) for t in method["returns"])

    # Walk field types and union members until nothing new turns up.
    types: dict[str, Any] = {}
    while pending:
        name = pending.pop()
        if name in types or name not in all_types:
            continue  # primitives (Integer, String, ...) have no entry
        source = all_types[name]
        entry: dict[str, Any] = {"name": name, "href": source["href"]}
        if "fields" in source:
            entry["fields"] = _trim_fields(source, with_consts="subtype_of" in source)
            pending.extend(_base_type(t) for f in source["fields"] for t in f["types"])
        if "subtypes" in source:
            entry["subtypes"] = source["subtypes"]
            pending.extend(_base_type(t) for t in source["subtypes"])
        if "subtype_of" in source:
            entry["subtype_of"] = source["subtype_of"]
        types[name] = entry

    return {
        "version": api["version"],
        "release_date": api["release_date"],
        "source": {
            "repository": SOURCE_REPOSITORY,
            "path": SOURCE_PATH,
            "commit": SOURCE_COMMIT,
            "licence": "MIT, (c) 2020 Paul Larsen",
        },
        "methods": methods,
        "types": dict(sorted(types.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    api = json.loads(args.source.read_text(encoding="utf-8"))
    trimmed = trim(api)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Stable, diff-friendly output: one key per line, no trailing spaces.
    args.output.write_text(
        json.dumps(trimmed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {args.output}: {len(trimmed['methods'])} methods, {len(trimmed['types'])} types "
        f"({trimmed['version']})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
