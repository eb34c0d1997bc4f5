"""Finding the knowledge-base entry a prospect's message asks about.

Pure: words in, an entry id out. Prospects type the way people chat ("а ипотеку
дают?", "далеко от митро"), so a keyword matches its word forms (ипотека, ипотеку,
ипотекой), one typo in a longer word, and its synonyms. A score and a threshold keep
chit-chat, a name or a phone number from ever matching: better to pass a question to a
person than to answer the wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# A keyword ending in "!" matches that exact word only: for short or indeclinable words
# that look like forms of others ("метро!" must not match "метров").
EXACT_MARK = "!"

# Below this length a word matches only itself: short words are too alike.
_MIN_FORM_LENGTH = 4
# Stems at least this long may carry one typo and match longer derived words.
_MIN_FUZZY_STEM = 5

# What a match of one word earns.
_EXACT = 1.0
_FORM = 0.9
_TYPO = 0.7

# An answer needs at least one word that surely matched...
MIN_SCORE = 0.7
# ...and a fair share of what the person wrote: one keyword somewhere in a long story
# is not a question about it. Per content word (stop words do not count).
MIN_SHARE = 0.2

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Endings stripped to find a word's stem, longest first. A light stemmer is enough:
# keywords and messages go through the same one.
_RU_ENDINGS_TEXT = (
    "иями ями ами ого его ому ему ыми ими ией иям иях ях ах ов ев ей ой ий ый ая "
    "яя ое ее ые ие ую юю ом ем ам ям ию ия а я о е ы и у ю ь й"
)
_RU_ENDINGS = tuple(sorted(_RU_ENDINGS_TEXT.split(), key=len, reverse=True))
_EN_ENDINGS = ("ies", "ing", "es", "ed", "ly", "s", "e", "y")

# Words that carry no topic; they never count and may not be keywords on their own.
_STOP_WORDS_TEXT = (
    # ru
    "а и в во на но да нет не ни ну же ли бы то что как какой какая какие каков "
    "какое где когда куда откуда почему зачем сколько кто чем у вас вам нас мне "
    "меня мы вы я ты он она они оно это этот эта эти тот там тут здесь есть был "
    "будет быть можно нужно надо ли или про для с со из от до по за к ко о об при "
    "так уже еще ещё очень просто вот подскажите скажите скажи расскажите "
    "пожалуйста здравствуйте привет добрый день вечер утро спасибо хорошо ок ага "
    "угу ладно понятно интересно вопрос хочу хотел хотела узнать"
    # en
    " a an the and or but is are was were be been do does did have has had i you "
    "we he she it they my your our me us to of in on at for with from by about "
    "what which how where when why who can could would will shall should may "
    "there here this that these those any some please hi hello hey thanks thank "
    "ok okay yes no not just so tell want wanted know question"
)
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())


def normalise(text: str) -> list[str]:
    """Lower case, ё as е, words only: punctuation, emoji and + are dropped."""
    return _WORD_RE.findall(text.lower().replace("ё", "е"))


def stem(word: str) -> str:
    """The word without its inflection ending, keeping at least three letters."""
    endings = _RU_ENDINGS if _is_cyrillic(word) else _EN_ENDINGS
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _is_cyrillic(word: str) -> bool:
    return any("а" <= char <= "я" for char in word)


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau distance at most 1: one letter wrong, missing, extra or swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@dataclass(frozen=True)
class KeyWord:
    """One word of a keyword, prepared once."""

    word: str
    stem: str
    exact: bool

    def score(self, token: str) -> float:
        """What `token` earns against this word; 0 when it is another word."""
        if token == self.word:
            return _EXACT
        if self.exact or min(len(token), len(self.word)) < _MIN_FORM_LENGTH:
            return 0.0
        token_stem = stem(token)
        if token_stem == self.stem:
            return _FORM
        if len(self.stem) >= _MIN_FUZZY_STEM:
            # A derived word (дорог → дороговато) or one typo (ипотка, атделка).
            if token.startswith(self.stem):
                return _FORM
            if len(token_stem) >= _MIN_FUZZY_STEM and _within_one_edit(token_stem, self.stem):
                return _TYPO
        return 0.0


@dataclass(frozen=True)
class Keyword:
    """A word or a phrase; a phrase matches its words in a row."""

    words: tuple[KeyWord, ...]

    @classmethod
    def parse(cls, text: str) -> Keyword:
        raw = text.strip()
        exact = raw.endswith(EXACT_MARK)
        words = normalise(raw.rstrip(EXACT_MARK))
        return cls(tuple(KeyWord(word, stem(word), exact) for word in words))

    def find(self, tokens: Sequence[str]) -> tuple[float, tuple[int, ...]]:
        """The best score of this keyword in `tokens` and the positions it covers."""
        best: tuple[float, tuple[int, ...]] = (0.0, ())
        size = len(self.words)
        if size == 0:
            return best
        for start in range(len(tokens) - size + 1):
            scores = [word.score(tokens[start + i]) for i, word in enumerate(self.words)]
            if all(scores) and sum(scores) > best[0]:
                best = (sum(scores), tuple(range(start, start + size)))
        return best


def keyword_problem(text: str) -> str | None:
    """Why `text` cannot be a keyword, or None when it can."""
    keyword = Keyword.parse(text)
    if not keyword.words:
        return f"keyword {text!r} has no letters or digits"
    if all(word.word.isdigit() for word in keyword.words):
        return f"keyword {text!r} is only digits: it would match phone numbers and prices"
    if len(keyword.words) == 1 and keyword.words[0].word in STOP_WORDS:
        return (
            f"keyword {text!r} is a common word the matcher ignores; "
            "use a word about the topic, or a phrase"
        )
    return None


@dataclass(frozen=True)
class Entry:
    """What the matcher knows of one answer: its id and keywords (all languages)."""

    id: str
    keywords: tuple[Keyword, ...]


def build_entry(
    entry_id: str, keywords: Iterable[str], synonyms: Mapping[str, Sequence[str]] | None = None
) -> Entry:
    """An entry whose single-word keywords also stand for their synonyms."""
    texts: list[str] = []
    for text in keywords:
        texts.append(text)
        texts.extend(synonyms.get(_synonym_key(text), ()) if synonyms else ())
    seen: dict[str, Keyword] = {}
    for text in texts:
        seen.setdefault(text.strip().lower().replace("ё", "е"), Keyword.parse(text))
    return Entry(entry_id, tuple(keyword for keyword in seen.values() if keyword.words))


def _synonym_key(text: str) -> str:
    return " ".join(normalise(text.rstrip(EXACT_MARK)))


def synonym_table(groups: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """Each word of a group → the others, so any one of them brings in the rest."""
    table: dict[str, list[str]] = {}
    for group in groups:
        for word in group:
            others = [other for other in group if other != word]
            table.setdefault(_synonym_key(word), []).extend(others)
    return table


@dataclass(frozen=True)
class Match:
    entry_id: str
    score: float
    keywords: int  # how many different keywords matched: the tie-break after score


def score_entry(entry: Entry, tokens: Sequence[str]) -> Match:
    """Each word of the message counts once, for the keyword that earns it most."""
    claimed: dict[int, float] = {}
    matched = 0
    for keyword in entry.keywords:
        score, positions = keyword.find(tokens)
        if not positions:
            continue
        per_word = score / len(positions)
        gained = False
        for position in positions:
            if per_word > claimed.get(position, 0.0):
                claimed[position] = per_word
                gained = True
        matched += gained
    return Match(entry.id, round(sum(claimed.values()), 3), matched)


def best_match(entries: Sequence[Entry], text: str) -> Match | None:
    """The entry `text` asks about, or None when nothing fits well enough.

    Ties go to the entry with more matching keywords, then to the earlier one (the
    file's order, then saved answers oldest first).
    """
    tokens = normalise(text)
    content = [token for token in tokens if token not in STOP_WORDS]
    if not content:
        return None
    best: Match | None = None
    for entry in entries:
        match = score_entry(entry, tokens)
        if match.score <= 0:
            continue
        if best is None or (match.score, match.keywords) > (best.score, best.keywords):
            best = match
    if best is None or best.score < MIN_SCORE or best.score < MIN_SHARE * len(content):
        return None
    return best


@dataclass(frozen=True)
class SavedAnswer:
    """An answer staff saved with /kb add: one language, HTML as they wrote it."""

    id: int
    language: str
    question: str
    keywords: tuple[str, ...]
    answer: str  # Telegram HTML
    added_by: int

    @property
    def entry_id(self) -> str:
        return f"saved:{self.id}"


def parse_keyword_list(text: str) -> tuple[list[str], list[str]]:
    """Comma-separated keywords typed after /kb add → (usable ones, refused ones)."""
    keywords: list[str] = []
    refused: list[str] = []
    for part in text.split(","):
        word = " ".join(part.split())
        if not word:
            continue
        if keyword_problem(word) is not None:
            refused.append(word)
        elif word.lower() not in (known.lower() for known in keywords):
            keywords.append(word)
    return keywords, refused
