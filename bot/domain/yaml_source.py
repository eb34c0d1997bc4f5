"""Reading a YAML file people edit by hand: the data, the node tree (for the line of every
key, so errors can say "file:line: key: what is wrong"), and syntax errors in one shape."""

from __future__ import annotations

from dataclasses import dataclass

import yaml


class YamlSyntaxError(Exception):
    """The text is not YAML; `message` is one "file:line: …" line for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class YamlDocument:
    data: object
    root: yaml.Node | None  # None for an empty file


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
        raise YamlSyntaxError(
            f"{source}:{line}: YAML syntax error at column {column}: {what} "
            "(check the indentation, colons and quotes)"
        ) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(f"{source}:1: YAML error: {error}") from None
    finally:
        loader.dispose()
