"""A strict checker for Telegram's HTML parse mode.

It turns the HTML a bot sends into what a user would see (plain text plus message entities)
and refuses anything the real server refuses.  It is deliberately a little stricter than
Telegram in two places, because both are bot bugs waiting to happen: a bare ``>`` or an
``&`` that does not start a known entity must be escaped (Telegram shows them literally today,
but the same code path breaks as soon as the text contains ``<``).

Error texts follow Telegram's ("Unsupported start tag \"x\" at byte offset N", ...), so code
that matches on them behaves as it would in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HtmlParseError", "ParsedText", "parse_html", "plain_text", "utf16_len"]

# Tag name -> entity type.  span and a need attributes and are handled separately.
_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "tg-emoji"})

_SPECIAL = re.compile(r"[<>&]")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_NAME_END = re.compile(r"[\s=>]")
_UNQUOTED_VALUE = re.compile(r"[^\s>]*")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; str(err) is Telegram's wording."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Text as the user sees it, with entity offsets/lengths in UTF-16 code units."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()

    def stripped(self) -> ParsedText:
        """Telegram trims leading/trailing whitespace of every message; mirror that."""
        left = len(self.text) - len(self.text.lstrip())
        text = self.text.strip()
        if left == 0 and len(text) == len(self.text):
            return self
        shift = utf16_len(self.text[:left])
        end = utf16_len(text)
        entities = []
        for entity in self.entities:
            start = max(entity["offset"] - shift, 0)
            stop = min(entity["offset"] + entity["length"] - shift, end)
            if stop > start:
                entities.append({**entity, "offset": start, "length": stop - start})
        return ParsedText(text, tuple(entities))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    # Characters outside the BMP take two code units; counting them is cheaper than encoding.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def plain_text(html: str) -> str:
    """The visible text of valid Telegram HTML (raises HtmlParseError otherwise)."""
    return parse_html(html).text


@dataclass(slots=True)
class _Open:
    name: str
    byte_offset: int
    offset16: int
    entity: dict[str, Any] | None
    attrs: dict[str, str] = field(default_factory=dict)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attr(value: str) -> str:
    # Inside attribute values Telegram decodes known entities and keeps any other '&' as is,
    # so URLs with query strings work unescaped; we accept the same.
    def repl(match: re.Match[str]) -> str:
        decoded = _decode_entity(match)
        return match.group(0) if decoded is None else decoded

    return _ENTITY.sub(repl, value)


def _parse_attributes(source: str, i: int, tag: str, tag_offset: int) -> tuple[dict[str, str], int]:
    """Parse attributes from index i up to the closing '>'; return them and the index after it."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[i] == ">":
            return attrs, i + 1
        end = _ATTR_NAME_END.search(source, i)
        if end is None:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        name = source[i : end.start()].lower()
        i = end.start()
        if not name:
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {tag_offset}"
            )
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[i] != "=":
            attrs[name] = ""  # valueless attribute, e.g. <blockquote expandable>
            continue
        i += 1
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
        quote = source[i]
        if quote in "\"'":
            close = source.find(quote, i + 1)
            if close < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {tag_offset}")
            attrs[name] = _decode_attr(source[i + 1 : close])
            i = close + 1
        else:
            token = _UNQUOTED_VALUE.match(source, i)
            assert token is not None  # the pattern also matches the empty string
            attrs[name] = _decode_attr(token.group(0))
            i = token.end()


def _entity_for(tag: str, attrs: dict[str, str], byte_offset: int) -> dict[str, Any] | None:
    """Entity (without offset/length) opened by a supported tag, or None for a bare <code>."""
    where = f"at byte offset {byte_offset}"
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" {where}')
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href", "").strip()
        if not href:
            raise HtmlParseError(f'Tag "a" must have a non-empty attribute "href" {where}')
        return {"type": "text_link", "url": href}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "").strip()
        if not emoji_id.isdigit():
            raise HtmlParseError(f'Tag "tg-emoji" must have a numeric attribute "emoji-id" {where}')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    if tag == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    return {"type": _SIMPLE_TAGS[tag]}


def _check_nesting(tag: str, stack: list[_Open], byte_offset: int) -> None:
    """Enforce Telegram's nesting rules for entities."""
    if not stack:
        return
    parent = stack[-1].name
    if parent == "pre" and tag == "code":
        return  # <pre><code class="language-x"> is the documented way to name a language
    if parent in ("pre", "code"):
        raise HtmlParseError(
            f'Tag "{tag}" at byte offset {byte_offset} can\'t be nested in "{parent}": '
            "pre and code entities can't contain other entities"
        )
    open_names = {item.name for item in stack}
    if tag == "blockquote" and "blockquote" in open_names:
        raise HtmlParseError(f"Blockquote at byte offset {byte_offset} can't be nested")
    if tag == "a" and "a" in open_names:
        raise HtmlParseError(f"Link at byte offset {byte_offset} can't be nested in another link")


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML; raise HtmlParseError with Telegram-like wording if it is invalid."""
    out: list[str] = []
    pos16 = 0  # UTF-16 length of everything in out
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(source)

    def emit(chunk: str) -> None:
        nonlocal pos16
        if chunk:
            out.append(chunk)
            pos16 += utf16_len(chunk)

    while i < n:
        special = _SPECIAL.search(source, i)
        if special is None:
            emit(source[i:])
            break
        j = special.start()
        emit(source[i:j])
        char = source[j]
        if char == "&":
            match = _ENTITY.match(source, j)
            decoded = _decode_entity(match) if match else None
            if match is None or decoded is None:
                raise HtmlParseError(
                    f"Character '&' at byte offset {_byte_offset(source, j)} must be escaped "
                    "as &amp; (only &lt; &gt; &amp; &quot; and &#NNN; &#xHH; are understood)"
                )
            emit(decoded)
            i = match.end()
            continue
        if char == ">":
            raise HtmlParseError(
                f"Character '>' at byte offset {_byte_offset(source, j)} must be escaped as &gt;"
            )
        # char == "<"
        byte_offset = _byte_offset(source, j)
        if source.startswith("</", j):
            close = source.find(">", j)
            if close < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset}")
            name = source[j + 2 : close].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset}")
            top = stack.pop()
            if name != top.name:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            _close_entity(top, pos16, stack, entities)
            i = close + 1
            continue
        k = j + 1
        while k < n and not source[k].isspace() and source[k] != ">":
            k += 1
        if k >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset}")
        tag = source[j + 1 : k].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {byte_offset}')
        attrs, i = _parse_attributes(source, k, tag, byte_offset)
        _check_nesting(tag, stack, byte_offset)
        stack.append(_Open(tag, byte_offset, pos16, _entity_for(tag, attrs, byte_offset), attrs))

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), tuple(entities))


def _close_entity(
    item: _Open, pos16: int, stack: list[_Open], entities: list[dict[str, Any]]
) -> None:
    length = pos16 - item.offset16
    if item.entity is None or length <= 0:
        return  # Telegram drops empty entities silently
    entity = {**item.entity, "offset": item.offset16, "length": length}
    # <pre><code class="language-x">…</code></pre> is a single pre entity with a language.
    if item.name == "code" and stack and stack[-1].name == "pre":
        language = item.attrs.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            assert stack[-1].entity is not None
            stack[-1].entity["language"] = language.removeprefix("language-")
        return
    entities.append(entity)
