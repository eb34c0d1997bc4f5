"""What the deal file's sections must mean together, beyond their shape: the checks the
loader (bot/domain/deal_file.py) runs across roles, facts, stages and rules, and of
DEAL_PEOPLE against the file's roles."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from bot.domain.conditions import Loc, describe_value
from bot.domain.deal import (
    AllFacts,
    AnyFacts,
    FactCondition,
    FactIs,
    NotFacts,
    Role,
    RuleKind,
    Stage,
)


def people_problems(
    people: Mapping[str, tuple[int, ...]], roles: tuple[Role, ...], source: str
) -> list[str]:
    """DEAL_PEOPLE's roles the file does not have: a typo there would silently tell no one."""
    unknown = sorted(set(people) - {role.id for role in roles})
    known = ", ".join(role.id for role in roles)
    return [
        f"DEAL_PEOPLE: role {role!r} is not in {source} (its roles: {known})" for role in unknown
    ]


class DealChecks(ABC):
    """The checks across sections; the loader provides where problems go and the ids
    named in each section (every one, even of an item with problems of its own)."""

    @abstractmethod
    def _add(self, loc: Loc, message: str) -> None: ...

    def _check_owner(self, loc: Loc, owner: Any, roles: set[str]) -> None:
        # Not a string (a list, a mapping): not an id, and not hashable either.
        if not isinstance(owner, str) or owner not in roles:
            shown = describe_value(owner)
            self._add(loc, f"{shown} is not a role; roles: {', '.join(sorted(roles))}")

    def _next(
        self, loc: Loc, raw: Mapping[Any, Any], known: set[str], final: bool, following: str | None
    ) -> tuple[str, ...]:
        """A stage's next: stages, by default the one after it in the file."""
        value = raw.get("next")
        if final:
            if value is not None:
                self._add(loc, "a final stage closes the deal: remove next: or final: true")
            return ()
        if value is None:
            if following is None:
                self._add(
                    (*loc[:-1], "id"),
                    "the last stage goes nowhere: add final: true or next: [stage ids]",
                )
                return ()
            return (following,)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self._add(loc, f"must be a list of stage ids, got {describe_value(value)}")
            return ()
        result: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or item not in known:
                self._add((*loc, index), f"{describe_value(item)} is not a stage id")
            elif item == raw["id"]:
                self._add((*loc, index), "a stage cannot be its own next stage")
            elif item not in result:
                result.append(item)
        return tuple(result)

    def _fact_condition(self, loc: Loc, raw: Any, facts: set[str]) -> FactCondition | None:
        """{mortgage: true}, {married: true, mortgage: false}, any: [...], all: [...], not: {...}"""
        if not isinstance(raw, dict) or not raw:
            self._add(
                loc,
                "must be a condition on facts like {mortgage: true}, got " + describe_value(raw),
            )
            return None
        items: list[FactCondition] = []
        for key, value in raw.items():
            here = (*loc, str(key))
            if key in ("any", "all"):
                if not isinstance(value, list) or not value:
                    self._add(here, f"'{key}' needs a non-empty list of conditions")
                    continue
                parts = [
                    self._fact_condition((*here, i), item, facts) for i, item in enumerate(value)
                ]
                kept = tuple(part for part in parts if part is not None)
                items.append(AnyFacts(kept) if key == "any" else AllFacts(kept))
            elif key == "not":
                inner = self._fact_condition(here, value, facts)
                if inner is not None:
                    items.append(NotFacts(inner))
            elif key not in facts:
                known = ", ".join(sorted(facts)) or "none: add facts:"
                self._add(here, f"unknown fact {key!r}; facts: {known}")
            elif not isinstance(value, bool):
                self._add(here, f"a fact is true or false, got {describe_value(value)}")
            else:
                items.append(FactIs(str(key), value))
        if not items:
            return None
        return items[0] if len(items) == 1 else AllFacts(tuple(items))

    def _rule_target(
        self, loc: Loc, raw: Mapping[Any, Any], stages: set[str]
    ) -> tuple[RuleKind, str] | None:
        """A rule's kind and stage; None if it has neither shape or names an unknown stage."""
        checked: tuple[tuple[str, Any], ...]
        before = raw.get("no_payments_before")
        enter, after = raw.get("enter"), raw.get("after_documents_of")
        if before is not None and enter is None and after is None:
            kind, stage = RuleKind.NO_PAYMENTS_BEFORE, before
            checked = (("no_payments_before", before),)
        elif before is None and enter is not None and after is not None:
            kind, stage = RuleKind.DOCUMENTS_FIRST, after
            checked = (("enter", enter), ("after_documents_of", after))
        else:
            self._add(
                loc,
                "a rule is either no_payments_before: <stage> or enter: <stage> with "
                "after_documents_of: <stage>",
            )
            return None
        bad = False
        for key, stage_id in checked:
            if not isinstance(stage_id, str) or stage_id not in stages:
                self._add((*loc, key), f"{describe_value(stage_id)} is not a stage id")
                bad = True
        return None if bad else (kind, str(stage))

    def _check_graph(self, stages: tuple[Stage, ...]) -> None:
        """Every stage is reachable from the first, and a final stage from every stage."""
        by_id = {stage.id: stage for stage in stages}
        reached, todo = {stages[0].id}, [stages[0].id]
        while todo:
            for following in by_id[todo.pop()].next:
                if following not in reached:
                    reached.add(following)
                    todo.append(following)
        for index, stage in enumerate(stages):
            if stage.id not in reached:
                self._add(
                    ("stages", index, "id"),
                    f"stage {stage.id!r} cannot be reached from {stages[0].id!r}: "
                    "name it in an earlier stage's next:",
                )
        if not any(stage.final for stage in stages):
            self._add(("stages",), "no stage closes the deal: mark the last one final: true")
            return
        closes = {stage.id for stage in stages if stage.final}
        changed = True
        while changed:
            changed = False
            for stage in stages:
                if stage.id not in closes and any(n in closes for n in stage.next):
                    closes.add(stage.id)
                    changed = True
        for index, stage in enumerate(stages):
            if stage.id not in closes:
                self._add(
                    ("stages", index, "next"),
                    f"from stage {stage.id!r} no final stage can be reached",
                )
