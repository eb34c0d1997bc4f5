"""Reading a YAML file people edit by hand: the data, the node tree (for the line of every
key, so errors can say "file:line: key: what is wrong"), and syntax errors in one shape."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class YamlFileError(Exception):
    """The file cannot be read or is not YAML; `message` is one "file: …" line for the
    person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Where a value is: keys and list indexes from the root, like pydantic's loc.
YamlLoc = tuple[str | int, ...]


@dataclass(frozen=True)
class KeyLines:
    lines: dict[YamlLoc, int]  # the line of every key and list item (1-based)
    duplicates: list[tuple[YamlLoc, int]]  # a key given twice, and the line of the first


def key_lines(root: yaml.Node) -> KeyLines:
    """Walks the node tree for the lines errors point at, spotting duplicate keys."""
    found = KeyLines({}, [])

    def walk(node: yaml.Node, loc: YamlLoc, depth: int) -> None:
        found.lines.setdefault(loc, node.start_mark.line + 1)
        if depth > 32:  # a recursive alias; nothing sensible lies that deep
            return
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    found.duplicates.append(((*loc, key), seen[key]))
                seen.setdefault(key, line)
                found.lines[(*loc, key)] = line
                walk(value_node, (*loc, key), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                found.lines[(*loc, index)] = item.start_mark.line + 1
                walk(item, (*loc, index), depth + 1)

    walk(root, (), 0)
    return found


@dataclass(frozen=True)
class YamlDocument:
    data: object
    root: yaml.Node | None  # None for an empty file


def read_text(path: Path) -> str:
    """The file's UTF-8 text, or a YamlFileError saying plainly why not."""
    source = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(f"{source}: file not found") from None
    except UnicodeDecodeError as error:
        raise YamlFileError(
            f"{source}: not UTF-8 text (byte {error.start}); save the file as UTF-8"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise YamlFileError(f"{source}: cannot read the file: {reason}") from None


def read_yaml(text: str, source: str) -> YamlDocument:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, None)
        return YamlDocument(loader.construct_document(node), node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = ", ".join(part for part in (error.context, error.problem) if part)
        raise YamlFileError(
            f"{source}:{line}: YAML syntax error at column {column}: {what} "
            "(check the indentation, colons and quotes)"
        ) from None
    except yaml.YAMLError as error:
        raise YamlFileError(f"{source}:1: YAML error: {error}") from None
    finally:
        loader.dispose()
