"""Which option a prospect meant when they typed instead of pressing a button.

Each option brings its words (labels, short labels and synonyms in every language, and
its id). Matching, best tier first: the whole answer is one of the words (spaces aside:
"трейдин" is "Трейд-ин"); then the answer is one of the phrases said with typos or in
another form ("ипотку", "ипотеку"); then every word of the answer is found among one
phrase's words, nearly or as a beginning of at least four letters ("инвест" →
"Инвестиция"). A bare number is a word too ("2" → "2 комнаты") but never fuzzy. Several
options in the best tier that fits → Ambiguous, and the prospect is asked back: guessing
would store an answer nobody gave ("комната" of "1 комната" and "2 комнаты").

A question mark turns the loose tiers off: "а ипотека есть?" is a question for the
knowledge base, not the answer "Mortgage".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.knowledge import stem

MAX_CHOICE_INPUT = 300  # longer text is a message, not an answer; keeps matching cheap
_MAX_ITEMS = 20
_MAX_ITEM_WORDS = 12  # more words than any option's label: a sentence, not an answer
_MIN_PREFIX = 4
_MIN_TYPO_LENGTH = 4
_LONG_WORD = 8  # from here two typos are forgiven, below it one

# Digits and letters apart: "2к" is "2 к", "2br" is "2 br", like "2-к" and "2 br".
_TOKEN_RE = re.compile(r"\d+|[^\W\d_]+")
# Between the items of a typed list; " и "/" and " only between words.
_LIST_SPLIT_RE = re.compile(r"[,;/+&\n]|\s(?:и|and)\s")
# Words around an answer that say nothing about which option: "наверное ипотека".
_FILLER_WORDS = frozenset(
    [
        *("я", "мне", "мы", "ну", "вот", "это", "наверное", "скорее", "всего", "думаю"),
        *("хочу", "хотим", "хотелось", "бы", "вариант", "пожалуйста", "да", "давайте"),
        *("i", "we", "think", "maybe", "probably", "the", "a", "an", "option", "please"),
        *("want", "would", "like", "prefer", "id", "d", "go", "with", "for"),
    ]
)


@dataclass(frozen=True)
class Choice:
    """An option as the matcher sees it; `words` are phrases, in any language."""

    id: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Matched:
    """The option ids the answer names (one for a single choice)."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class Ambiguous:
    """Several options fit; `ids` in the choices' order, for the "did you mean" buttons."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class NoMatch:
    """No option fits: the prospect is asked to choose one."""


Match = Matched | Ambiguous | NoMatch


def tokens(text: str) -> tuple[str, ...]:
    """Lower case, ё as е, words and numbers only: punctuation, dashes and emoji go."""
    return tuple(_TOKEN_RE.findall(text.lower().replace("ё", "е")))


def match_one(text: str, choices: Sequence[Choice]) -> Match:
    """The one option the text names, the candidates when it could be several, or none."""
    if len(text) > MAX_CHOICE_INPUT:
        return NoMatch()
    return _match_item(text, choices, loose="?" not in text)


def match_many(text: str, choices: Sequence[Choice]) -> Match:
    """A typed list ("наличные, ипотека", "1 and 3", "1 3"): each item must name one option.

    The answer keeps the choices' order; an item named twice counts once. The first
    ambiguous item's candidates are returned when every item fits some option.
    """
    if len(text) > MAX_CHOICE_INPUT:
        return NoMatch()
    loose = "?" not in text
    whole = _match_item(text, choices, loose=False)  # a label may hold "/" or " и "
    if isinstance(whole, Matched):
        return whole
    items = [item for item in _LIST_SPLIT_RE.split(text) if tokens(item)]
    if len(items) == 1 and all(token.isdigit() for token in tokens(items[0])):
        items = list(tokens(items[0]))  # "1 3": a run of numbers is a list of them
    if not items or len(items) > _MAX_ITEMS:
        return NoMatch()
    chosen: set[str] = set()
    ambiguous: Ambiguous | None = None
    for item in items:
        result = _match_item(item, choices, loose=loose)
        if isinstance(result, NoMatch):
            return result
        if isinstance(result, Ambiguous):
            ambiguous = ambiguous or result
        else:
            chosen.update(result.ids)
    if ambiguous is not None:
        return ambiguous
    return Matched(tuple(choice.id for choice in choices if choice.id in chosen))


def _match_item(text: str, choices: Sequence[Choice], *, loose: bool) -> Match:
    typed = tokens(text)
    if not typed:
        return NoMatch()
    exact = [c for c in choices if any(_same(_phrase(word), typed) for word in _words(c))]
    if exact or not loose:
        return _result(exact)
    meaningful = tuple(token for token in typed if token not in _FILLER_WORDS) or typed
    if len(meaningful) > _MAX_ITEM_WORDS:
        return NoMatch()
    # A whole phrase said with typos ("ипотку") beats a word of a longer phrase
    # ("семейная ипотека"); within a tier every fit is as good as another.
    for fits in (_alike, _covers):
        found = [
            choice
            for choice in choices
            if any(fits(_phrase(word), meaningful) for word in _words(choice))
        ]
        if found:
            return _result(found)
    return NoMatch()


def _words(choice: Choice) -> tuple[str, ...]:
    return (choice.id, *choice.words)


def _phrase(word: str) -> tuple[str, ...]:
    return tokens(word.replace("_", " "))


def _result(candidates: Sequence[Choice]) -> Match:
    ids = tuple(dict.fromkeys(choice.id for choice in candidates))
    if not ids:
        return NoMatch()
    return Matched(ids) if len(ids) == 1 else Ambiguous(ids)


def _same(phrase: tuple[str, ...], typed: tuple[str, ...]) -> bool:
    """The same words, or the same letters with the spaces moved ("трейдин", "trade in")."""
    return phrase == typed or (bool(phrase) and "".join(phrase) == "".join(typed))


def _alike(phrase: tuple[str, ...], typed: tuple[str, ...]) -> bool:
    """Each word of either is nearly a word of the other: the phrase, with typos."""
    return _covers(phrase, typed) and _covers(typed, phrase)


def _covers(phrase: tuple[str, ...], typed: tuple[str, ...]) -> bool:
    """Every typed word is one of the phrase's words, nearly or as its beginning."""
    return bool(phrase) and all(any(_close(token, word) for word in phrase) for token in typed)


def _close(token: str, word: str) -> bool:
    if token == word:
        return True
    if token.isdigit() or word.isdigit():
        return False  # "2" is never "3": numbers match exactly or not at all
    if len(token) >= _MIN_PREFIX and word.startswith(token):
        return True
    shortest = min(len(token), len(word))
    if shortest < _MIN_TYPO_LENGTH:
        return False
    if stem(token) == stem(word):
        return True  # another form of the word: "ипотеку", "лизингом", "новая"
    return _distance_at_most(token, word, 2 if shortest >= _LONG_WORD else 1)


def _distance_at_most(a: str, b: str, limit: int) -> bool:
    """Whether the Damerau (adjacent swaps) edit distance of a and b is at most `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (char_a != char_b),
            )
            if before is not None and i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return False
        before, previous = previous, current
    return previous[-1] <= limit
