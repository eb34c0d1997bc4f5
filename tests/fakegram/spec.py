"""Bot API spec loading and request validation for the Telegram stand-in.

The data comes from tests/data/botapi_spec.json (made by trim_spec.py from
PaulSonOfLars/telegram-bot-api-spec, Bot API 10.1).  Every request the bot makes is decoded the
way the real server does (form values are strings; objects and arrays are JSON inside them)
and then checked against the declared types, required flags and the documented limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .html import HtmlParseError, ParsedText, parse_html

__all__ = [
    "EXTRA_PARAMS",
    "EXTRA_RESULT_FIELDS",
    "SPEC_PATH",
    "BotApiSpec",
    "CheckedRequest",
    "FieldSpec",
    "MethodSpec",
    "Problem",
    "TypeSpec",
    "UploadedFile",
    "load_spec",
]

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "botapi_spec.json"

# Parameters aiogram 3.31 sends that the Bot API 10.1 spec does not list, keyed by method (or by
# type, for fields of nested objects) -> parameter -> declared types.  Found by experiment
# (sending every method leadsieve uses under each DefaultBotProperties option): this is the only
# one.  Add an entry (saying which aiogram call sends it) rather than loosening the checks.
EXTRA_PARAMS: dict[str, dict[str, tuple[str, ...]]] = {
    # DefaultBotProperties(link_preview_is_disabled=True) makes aiogram send this pre-7.0
    # parameter next to link_preview_options; Telegram still accepts it, so a bot built that
    # way must not fail every message here.
    "sendMessage": {"disable_web_page_preview": ("Boolean",)},
    "editMessageText": {"disable_web_page_preview": ("Boolean",)},
}

# Fields the stand-in must put into *results* because aiogram 3.31's models require them but the
# 10.1 spec does not list them yet.
EXTRA_RESULT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    # Added in Bot API 10.3; aiogram.types.ChatMemberAdministrator declares it required.
    "ChatMemberAdministrator": {"can_send_welcome_messages": ("Boolean",)},
}

_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float"})
_INT_RE = re.compile(r"-?[0-9]+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

# Documented limits, in characters after entity parsing unless stated otherwise.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_TOPIC_NAME = 128
MAX_CALLBACK_DATA_BYTES = 64
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})

# How Telegram names an object in "can't parse ..." errors.
_OBJECT_WORDS = {
    "InlineKeyboardButton": "inline keyboard button",
    "KeyboardButton": "keyboard button",
    "InlineKeyboardMarkup": "inline keyboard",
    "ReplyKeyboardMarkup": "reply keyboard markup",
    "ReplyKeyboardRemove": "reply keyboard markup",
    "ForceReply": "reply keyboard markup",
    "ReplyParameters": "reply parameters",
    "LinkPreviewOptions": "link preview options",
    "BotCommand": "BotCommand",
    "MessageEntity": "message entity",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    const: str | None = None  # fixed value of a union member's tag ("status": "creator")


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    params: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file part of a request."""

    field_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Problem:
    """One way a request breaks the spec."""

    path: str  # e.g. "reply_markup.inline_keyboard[0][1].callback_data"
    message: str  # for people reading server.violations
    description: str  # what the stand-in answers, in Telegram's words


@dataclass(slots=True)
class CheckedRequest:
    method: str  # canonical spelling, e.g. "sendMessage"
    params: dict[str, Any]  # decoded values (files as UploadedFile)
    problems: list[Problem] = field(default_factory=list)
    # "text"/"caption" as the user will see them (after parse_mode, trimmed).
    texts: dict[str, ParsedText] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, UploadedFile):
        return "InputFile"
    return type(value).__name__


def _element(type_expr: str) -> str | None:
    return type_expr.removeprefix("Array of ") if type_expr.startswith("Array of ") else None


class BotApiSpec:
    """The trimmed Bot API spec plus the checks the stand-in applies to each request."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data["version"]
        self.release_date: str = data["release_date"]
        self.source: Mapping[str, str] = data["source"]
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(
                name=name,
                fields=self._fields(raw.get("fields", ()), EXTRA_PARAMS.get(name, {})),
                subtypes=tuple(raw.get("subtypes", ())),
            )
            for name, raw in data["types"].items()
        }
        # Results may carry EXTRA_RESULT_FIELDS; keep a second view so requests stay strict.
        self._result_types: dict[str, TypeSpec] = {
            name: TypeSpec(
                name=name,
                fields={
                    **spec.fields,
                    # aiogram requires these, so results must always carry them.
                    **self._fields((), EXTRA_RESULT_FIELDS.get(name, {}), required=True),
                },
                subtypes=spec.subtypes,
            )
            for name, spec in self.types.items()
        }
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(
                name=name,
                params=self._fields(raw.get("fields", ()), EXTRA_PARAMS.get(name, {})),
                returns=tuple(raw["returns"]),
            )
            for name, raw in data["methods"].items()
        }
        # The Bot API matches method names case-insensitively.
        self._method_names = {name.lower(): name for name in self.methods}

    @staticmethod
    def _fields(
        raw_fields: Sequence[Mapping[str, Any]],
        extra: Mapping[str, tuple[str, ...]],
        *,
        required: bool = False,
    ) -> dict[str, FieldSpec]:
        fields = {
            raw["name"]: FieldSpec(
                name=raw["name"],
                types=tuple(raw["types"]),
                required=bool(raw["required"]),
                const=raw.get("const"),
            )
            for raw in raw_fields
        }
        for name, types in extra.items():
            fields.setdefault(name, FieldSpec(name=name, types=types, required=required))
        return fields

    def canonical_method(self, name: str) -> str | None:
        return self._method_names.get(name.lower())

    def result_fields(self, type_name: str) -> Mapping[str, FieldSpec]:
        """Fields of a type as the stand-in may return it (spec plus EXTRA_RESULT_FIELDS)."""
        return self._result_types[type_name].fields

    # ------------------------------------------------------------------ requests

    def check_request(
        self, method: str, form: Mapping[str, Any], *, typed: bool = False
    ) -> CheckedRequest:
        """Decode and check one request.

        ``form`` maps field names to strings or UploadedFile (multipart/urlencoded bodies);
        with ``typed=True`` the values are already JSON-typed (a JSON body).
        """
        canonical = self.canonical_method(method)
        if canonical is None:
            return CheckedRequest(
                method=method,
                params=dict(form),
                problems=[
                    Problem(
                        path="",
                        message=f"method {method} not supported by the stand-in",
                        description=f"Bad Request: method {method} not supported by the stand-in",
                    )
                ],
            )
        spec = self.methods[canonical]
        checked = CheckedRequest(method=canonical, params={})
        problems = checked.problems
        files = {k: v for k, v in form.items() if isinstance(v, UploadedFile)}
        used_files: set[str] = set()

        for name, raw in form.items():
            param = spec.params.get(name)
            if param is None:
                if isinstance(raw, UploadedFile):
                    continue  # judged below: it may be the target of an attach:// reference
                problems.append(
                    Problem(
                        path=name,
                        message=f"unknown parameter (not in {self.version} for {canonical})",
                        description=f'Bad Request: unknown parameter "{name}"',
                    )
                )
                continue
            value, problem = self._decode_param(param, raw, files, used_files, typed=typed)
            if problem is not None:
                problems.append(problem)
                continue
            checked.params[name] = value
            problems.extend(self._check_value(value, param.types, name, self.types))

        for name, upload in files.items():
            if name not in used_files and name not in spec.params:
                problems.append(
                    Problem(
                        path=name,
                        message=f"file part {upload.filename!r} is not referenced by any "
                        "attach:// parameter",
                        description=f'Bad Request: unknown parameter "{name}"',
                    )
                )

        for name, param in spec.params.items():
            if param.required and name not in form:
                problems.append(self._missing(name))

        if not problems:
            self._check_method_rules(checked)
        return checked

    @staticmethod
    def _missing(name: str) -> Problem:
        if name == "text":
            description = "Bad Request: message text is empty"
        elif name == "chat_id":
            description = "Bad Request: chat_id is empty"
        else:
            description = f'Bad Request: parameter "{name}" is required'
        return Problem(path=name, message="required parameter is missing", description=description)

    def _decode_param(
        self,
        param: FieldSpec,
        raw: Any,
        files: Mapping[str, UploadedFile],
        used_files: set[str],
        *,
        typed: bool,
    ) -> tuple[Any, Problem | None]:
        """Turn a form value into the typed value the declared types describe."""
        types = param.types
        name = param.name
        if isinstance(raw, UploadedFile):
            if "InputFile" in types:
                used_files.add(name)
                return raw, None
            return None, Problem(
                path=name,
                message=f"a file was uploaded but the parameter is {' or '.join(types)}",
                description=f'Bad Request: parameter "{name}" must be of type {" or ".join(types)}',
            )
        if "InputFile" in types and isinstance(raw, str) and raw.startswith("attach://"):
            key = raw.removeprefix("attach://")
            upload = files.get(key)
            if upload is None:
                return None, Problem(
                    path=name,
                    message=f"{raw} refers to no uploaded file part",
                    description="Bad Request: wrong file identifier/HTTP URL specified",
                )
            used_files.add(key)
            return upload, None
        if typed or not isinstance(raw, str):
            return raw, None
        bad = Problem(
            path=name,
            message=f"expected {' or '.join(types)}, got {_short(raw)}",
            description=f'Bad Request: parameter "{name}" must be of type {" or ".join(types)}',
        )
        for type_expr in types:
            if type_expr == "Integer" and _INT_RE.fullmatch(raw):
                return int(raw), None
            if type_expr == "Float":
                try:
                    return float(raw), None
                except ValueError:
                    continue
            if type_expr == "Boolean" and raw.lower() in _TRUE | _FALSE:
                return raw.lower() in _TRUE, None
        if "String" in types:
            return raw, None
        if any(t not in _PRIMITIVES and t != "InputFile" for t in types):
            try:
                return json.loads(raw), None
            except ValueError:
                return None, Problem(
                    path=name,
                    message=f"is not valid JSON: {_short(raw)}",
                    description=f"Bad Request: can't parse {name} JSON object",
                )
        return None, bad

    # ------------------------------------------------------------------ typed values

    def check_result(self, types: Sequence[str], value: Any, path: str = "result") -> list[Problem]:
        """Check a value the stand-in returns (or delivers in an update) against the spec."""
        return self._check_value(value, tuple(types), path, self._result_types, rules=False)

    def _check_value(
        self,
        value: Any,
        types: tuple[str, ...],
        path: str,
        table: Mapping[str, TypeSpec],
        *,
        rules: bool = True,
    ) -> list[Problem]:
        if len(types) == 1:
            return self._check_one(value, types[0], path, table, rules)
        best: tuple[int, list[Problem]] | None = None
        for type_expr in types:
            problems = self._check_one(value, type_expr, path, table, rules)
            if not problems:
                return []
            score = self._affinity(value, type_expr, table)
            if best is None or score > best[0]:
                best = (score, problems)
        assert best is not None
        if best[0] < 0:
            # No alternative even has the right shape: say what was expected overall.
            return [
                Problem(
                    path=path,
                    message=f"expected {' or '.join(types)}, got {_kind(value)} {_short(value)}",
                    description=f'Bad Request: field "{path}" must be of type {" or ".join(types)}',
                )
            ]
        return best[1]

    def _affinity(self, value: Any, type_expr: str, table: Mapping[str, TypeSpec]) -> int:
        """How plausibly value was meant as type_expr (to report the relevant union member)."""
        if _element(type_expr) is not None:
            return 0 if isinstance(value, list) else -1
        if type_expr in _PRIMITIVES or type_expr == "InputFile":
            return -1
        spec = table.get(type_expr)
        if spec is None or not isinstance(value, dict):
            return -1
        if spec.subtypes:
            return max(self._affinity(value, sub, table) for sub in spec.subtypes)
        score = 0
        for key, item in value.items():
            known = spec.fields.get(key)
            if known is None:
                score -= 1
            elif known.const is not None:
                score += 100 if item == known.const else -100
            else:
                score += 2
        return score

    def _check_one(
        self, value: Any, type_expr: str, path: str, table: Mapping[str, TypeSpec], rules: bool
    ) -> list[Problem]:
        element = _element(type_expr)
        if element is not None:
            if not isinstance(value, list):
                return [self._type_problem(path, type_expr, value)]
            problems: list[Problem] = []
            for index, item in enumerate(value):
                problems.extend(
                    self._check_value(item, (element,), f"{path}[{index}]", table, rules=rules)
                )
            return problems
        if type_expr == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif type_expr == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_expr == "Boolean":
            ok = isinstance(value, bool)
        elif type_expr == "String":
            ok = isinstance(value, str)
        elif type_expr == "InputFile":
            ok = isinstance(value, UploadedFile)
        else:
            return self._check_object(value, type_expr, path, table, rules)
        return [] if ok else [self._type_problem(path, type_expr, value)]

    @staticmethod
    def _type_problem(path: str, type_expr: str, value: Any) -> Problem:
        leaf = path.rsplit(".", 1)[-1]
        return Problem(
            path=path,
            message=f"expected {type_expr}, got {_kind(value)} {_short(value)}",
            description=f'Bad Request: field "{leaf}" must be of type {type_expr}',
        )

    def _check_object(
        self, value: Any, type_name: str, path: str, table: Mapping[str, TypeSpec], rules: bool
    ) -> list[Problem]:
        spec = table.get(type_name)
        if spec is None:
            return [
                Problem(
                    path=path,
                    message=f"type {type_name} is missing from the trimmed spec "
                    "(re-run tests/fakegram/trim_spec.py)",
                    description=f"Bad Request: unknown type {type_name}",
                )
            ]
        if spec.subtypes:
            return self._check_value(value, spec.subtypes, path, table, rules=rules)
        word = _OBJECT_WORDS.get(type_name, type_name)
        if not isinstance(value, dict):
            return [
                Problem(
                    path=path,
                    message=f"expected a {type_name} object, got {_kind(value)} {_short(value)}",
                    description=f"Bad Request: can't parse {word}: object expected",
                )
            ]
        problems: list[Problem] = []
        for key, item in value.items():
            field_spec = spec.fields.get(key)
            where = f"{path}.{key}"
            if field_spec is None:
                problems.append(
                    Problem(
                        path=where,
                        message=f"unknown field {key!r} for {type_name} (not in {self.version})",
                        description=f'Bad Request: can\'t parse {word}: unknown field "{key}"',
                    )
                )
                continue
            if field_spec.const is not None and item != field_spec.const:
                problems.append(
                    Problem(
                        path=where,
                        message=f"must be {field_spec.const!r} for {type_name}, got {_short(item)}",
                        description=f'Bad Request: can\'t parse {word}: field "{key}" must be '
                        f'"{field_spec.const}"',
                    )
                )
                continue
            for problem in self._check_value(item, field_spec.types, where, table, rules=rules):
                if problem.description.startswith('Bad Request: field "'):
                    # Telegram words nested type errors as "can't parse <object>: Field ...".
                    detail = problem.description.removeprefix("Bad Request: field")
                    problem = Problem(
                        problem.path,
                        problem.message,
                        f"Bad Request: can't parse {word}: Field{detail}",
                    )
                problems.append(problem)
        for key, field_spec in spec.fields.items():
            if field_spec.required and key not in value:
                problems.append(
                    Problem(
                        path=f"{path}.{key}",
                        message=f"required field of {type_name} is missing",
                        description=f'Bad Request: can\'t parse {word}: Field "{key}" must be of '
                        f"type {' or '.join(field_spec.types)}",
                    )
                )
        if rules and not problems:
            problems.extend(self._object_rules(type_name, value, path, spec))
        return problems

    # ------------------------------------------------------------------ documented limits

    def _object_rules(
        self, type_name: str, value: dict[str, Any], path: str, spec: TypeSpec
    ) -> list[Problem]:
        problems: list[Problem] = []
        if type_name in ("InlineKeyboardButton", "KeyboardButton") and not value["text"]:
            word = _OBJECT_WORDS[type_name]
            problems.append(
                Problem(
                    path=f"{path}.text",
                    message="button text is empty",
                    description=f"Bad Request: can't parse {word}: Text must be non-empty",
                )
            )
        if type_name == "InlineKeyboardButton":
            data = value.get("callback_data")
            if data is not None:
                size = len(data.encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    problems.append(
                        Problem(
                            path=f"{path}.callback_data",
                            message=f"callback_data is {size} bytes in UTF-8 "
                            f"({_short(data)}); Telegram allows 1-64 bytes",
                            description="Bad Request: BUTTON_DATA_INVALID",
                        )
                    )
            # Everything but the label and its looks is an action; exactly one is required.
            actions = [
                k
                for k in value
                if k in spec.fields and k not in ("text", "icon_custom_emoji_id", "style")
            ]
            if not actions:
                problems.append(
                    Problem(
                        path=path,
                        message="inline button has no action (callback_data, url, ...)",
                        description="Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                )
            elif len(actions) > 1:
                problems.append(
                    Problem(
                        path=path,
                        message=f"inline button has several actions: {', '.join(actions)}",
                        description="Bad Request: can't parse inline keyboard button: "
                        "exactly one of the optional fields must be used",
                    )
                )
        if type_name == "BotCommand":
            if not _BOT_COMMAND_RE.fullmatch(value["command"]):
                problems.append(
                    Problem(
                        path=f"{path}.command",
                        message=f"command {value['command']!r} must be 1-32 characters of "
                        "a-z, 0-9 and _",
                        description="Bad Request: BOT_COMMAND_INVALID",
                    )
                )
            if not 1 <= len(value["description"]) <= 256:
                problems.append(
                    Problem(
                        path=f"{path}.description",
                        message=f"description is {len(value['description'])} characters; "
                        "Telegram allows 1-256",
                        description="Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
                    )
                )
        return problems

    def _check_method_rules(self, checked: CheckedRequest) -> None:
        params = checked.params
        problems = checked.problems
        method = checked.method
        if "parse_mode" in params and str(params["parse_mode"]).lower() not in PARSE_MODES:
            problems.append(
                Problem(
                    path="parse_mode",
                    message=f"unsupported parse_mode {params['parse_mode']!r}",
                    description="Bad Request: unsupported parse_mode",
                )
            )
            return
        if method in ("sendMessage", "editMessageText") and "text" in params:
            parsed = self._parse_text(checked, "text")
            if parsed is not None:
                length = len(parsed.text)
                if length == 0:
                    problems.append(
                        Problem(
                            path="text",
                            message="text is empty after entity parsing",
                            description="Bad Request: message text is empty",
                        )
                    )
                elif length > MAX_TEXT:
                    problems.append(
                        Problem(
                            path="text",
                            message=f"text is {length} characters after entity parsing; "
                            f"Telegram allows 1-{MAX_TEXT}",
                            description="Bad Request: message is too long",
                        )
                    )
        if "caption" in params:
            parsed = self._parse_text(checked, "caption")
            if parsed is not None and len(parsed.text) > MAX_CAPTION:
                problems.append(
                    Problem(
                        path="caption",
                        message=f"caption is {len(parsed.text)} characters after entity "
                        f"parsing; Telegram allows 0-{MAX_CAPTION}",
                        description="Bad Request: message caption is too long",
                    )
                )
        if method == "answerCallbackQuery" and len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
            problems.append(
                Problem(
                    path="text",
                    message=f"callback answer is {len(params['text'])} characters; "
                    f"Telegram allows 0-{MAX_CALLBACK_ANSWER}",
                    description="Bad Request: MESSAGE_TOO_LONG",
                )
            )
        if method in ("createForumTopic", "editForumTopic") and "name" in params:
            name_length = len(params["name"])
            if not 1 <= name_length <= MAX_TOPIC_NAME:
                problems.append(
                    Problem(
                        path="name",
                        message=f"topic name is {name_length} characters; "
                        f"Telegram allows 1-{MAX_TOPIC_NAME}",
                        description="Bad Request: TOPIC_NAME_INVALID",
                    )
                )
        if method == "sendChatAction" and params.get("action") not in CHAT_ACTIONS:
            problems.append(
                Problem(
                    path="action",
                    message=f"unknown chat action {params.get('action')!r}",
                    description="Bad Request: wrong parameter action in request",
                )
            )

    def _parse_text(self, checked: CheckedRequest, name: str) -> ParsedText | None:
        """Entity-parse text/caption per parse_mode; record a problem and return None if bad."""
        source: str = checked.params[name]
        entities_param = "entities" if name == "text" else "caption_entities"
        mode = str(checked.params.get("parse_mode", "")).lower()
        if mode == "html" and entities_param not in checked.params:
            try:
                parsed = parse_html(source)
            except HtmlParseError as err:
                checked.problems.append(
                    Problem(
                        path=name,
                        message=f"invalid Telegram HTML: {err} in {_short(source)}",
                        description=f"Bad Request: can't parse entities: {err}",
                    )
                )
                return None
        else:
            # Plain text, explicit entities, or a Markdown mode (not checked by the stand-in;
            # leadsieve uses HTML): the length limit then applies to the raw text.
            parsed = ParsedText(source, tuple(checked.params.get(entities_param, ())))
        parsed = parsed.stripped()
        checked.texts[name] = parsed
        return parsed


@cache
def load_spec(path: Path = SPEC_PATH) -> BotApiSpec:
    """Load (once per path) the trimmed spec committed under tests/data."""
    return BotApiSpec(json.loads(path.read_text(encoding="utf-8")))
