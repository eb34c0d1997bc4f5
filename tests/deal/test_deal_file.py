"""The deal timeline file: the bundled one loads; every mistake is one line with the file,
the line and the key; the rules of a move are pure functions of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_DEAL
from bot.domain import deal as rules
from bot.domain.deal import Refusal
from bot.domain.deal_file import DealFileError, load_deal, parse_deal, parse_people

GOOD = """\
id: flat
version: 2
languages: [ru, en]
roles:
  - id: support
    title: {ru: Сопровождение, en: Support}
    people: [11]
facts:
  - id: mortgage
    title: {ru: Ипотека, en: Mortgage}
    default: {payment: {includes: mortgage}}
  - id: married
    title: {ru: Брак, en: Married}
stages:
  - id: booking
    title: {ru: Бронь, en: Booking}
    owner: support
    expected_days: 3
    message:
      now: {ru: Бронь, en: Booked}
      takes: {ru: 3 дня, en: 3 days}
    documents:
      - id: passport
        title: {ru: Паспорт, en: Passport}
        personal: true
      - id: consent
        title: {ru: Согласие супруга, en: Spouse consent}
        when: {mortgage: true, married: true}
  - id: contract
    title: {ru: Договор, en: Contract}
    owner: support
    message:
      now: {ru: Договор, en: Contract}
      takes: {ru: день, en: a day}
  - id: done
    title: {ru: Готово, en: Done}
    owner: support
    final: true
    message:
      now: {ru: Всё, en: All done}
      takes: {ru: —, en: —}
rules:
  - id: pay_later
    no_payments_before: contract
    message: {ru: Рано, en: Too early}
  - id: docs_first
    enter: contract
    after_documents_of: booking
    message: {ru: Нет документов, en: Documents missing}
"""


def test_the_bundled_file_loads_with_its_stages_rules_and_people() -> None:
    deal_file = load_deal(BUNDLED_DEAL, {"receivables": (333,)})
    assert [stage.id for stage in deal_file.stages] == [
        "reservation",
        "financing",
        "contract",
        "registration",
        "payments",
        "acceptance",
        "keys",
        "closed",
    ]
    assert deal_file.people("receivables") == (333,)
    assert deal_file.stage("registration").next == ("payments", "contract")  # type: ignore[union-attr]
    # 214-FZ art. 15.5: no payment is asked before the contract is registered.
    assert not rules.payments_open(deal_file, "registration")
    assert rules.payments_open(deal_file, "payments")
    assert rules.payments_open(deal_file, "keys")


def test_a_good_file_and_its_rules() -> None:
    deal_file = parse_deal(GOOD, "deal.yaml", {"support": (12, 11)})
    assert deal_file.people("support") == (11, 12)
    assert rules.default_facts(deal_file, {"payment": ("mortgage", "cash")}) == {
        "mortgage": True,
        "married": False,
    }
    booking = deal_file.first
    assert booking.next == ("contract",)  # the following stage by default
    facts = {"mortgage": True, "married": True}
    assert [d.id for d in rules.documents_for(booking, facts)] == ["passport", "consent"]
    assert [d.id for d in rules.documents_for(booking, {"mortgage": True})] == ["passport"]
    refused = rules.move_refusal(deal_file, "booking", "contract", facts, {("booking", "passport")})
    assert refused is not None and refused.refusal is Refusal.RULE
    assert refused.rule is not None and refused.rule.id == "docs_first"
    accepted = {("booking", "passport"), ("booking", "consent")}
    assert rules.move_refusal(deal_file, "booking", "contract", facts, accepted) is None
    assert rules.move_refusal(deal_file, "booking", "done", {}, set()) == rules.MoveRefused(
        Refusal.NOT_NEXT
    )
    assert rules.move_refusal(deal_file, "booking", "nowhere", {}, set()) == rules.MoveRefused(
        Refusal.UNKNOWN_STAGE
    )
    assert rules.move_refusal(deal_file, "done", "booking", {}, set()) == rules.MoveRefused(
        Refusal.CLOSED
    )
    assert rules.move_refusal(deal_file, "booking", "booking", {}, set()) == rules.MoveRefused(
        Refusal.SAME_STAGE
    )
    assert not rules.payments_open(deal_file, "booking")
    assert rules.payments_rule(deal_file, "booking").id == "pay_later"  # type: ignore[union-attr]
    assert rules.payments_open(deal_file, "contract")


def _broken(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


CASES = [
    pytest.param(
        _broken(
            "    owner: support\n    expected_days: 3", "    owner: [support]\n    expected_days: 3"
        ),
        "deal.yaml:17: stages[booking].owner: a list is not a role; roles: support",
        id="owner-a-list",
    ),
    pytest.param(
        _broken("    no_payments_before: contract", "    no_payments_before: {stage: contract}"),
        "deal.yaml:44: rules[pay_later].no_payments_before: a mapping is not a stage id",
        id="rule-stage-a-mapping",
    ),
    pytest.param(
        _broken("version: 2", "version: two"),
        "deal.yaml:2: version: must be a whole number from 1, got 'two'",
        id="version",
    ),
    pytest.param(
        _broken("languages: [ru, en]", "languages: [ru, ru]"),
        "deal.yaml:3: languages[1]: 'ru' is listed twice",
        id="duplicate-language",
    ),
    pytest.param(
        _broken("title: {ru: Сопровождение, en: Support}", "title: {ru: Сопровождение}"),
        "deal.yaml:6: roles[support].title: missing the 'en' text",
        id="missing-language",
    ),
    pytest.param(
        _broken(
            "    owner: support\n    expected_days: 3", "    owner: lawyer\n    expected_days: 3"
        ),
        "deal.yaml:17: stages[booking].owner: 'lawyer' is not a role; roles: support",
        id="unknown-role",
    ),
    pytest.param(
        _broken("when: {mortgage: true, married: true}", "when: {mortgage: true, divorced: true}"),
        "deal.yaml:28: stages[booking].documents[consent].when.divorced: unknown fact "
        "'divorced'; facts: married, mortgage",
        id="unknown-fact",
    ),
    pytest.param(
        _broken("when: {mortgage: true, married: true}", "when: {mortgage: 'yes'}"),
        "deal.yaml:28: stages[booking].documents[consent].when.mortgage: a fact is true or "
        "false, got 'yes'",
        id="fact-not-boolean",
    ),
    pytest.param(
        _broken("default: {payment: {includes: mortgage}}", "default: {payment: {inclides: x}}"),
        "deal.yaml:11: facts[mortgage].default.payment.inclides: unknown matcher 'inclides'",
        id="bad-default-condition",
    ),
    pytest.param(
        _broken("  - id: contract\n", "  - id: booking\n"),
        "deal.yaml:29: stages[booking].id: duplicate id 'booking' (also on line 15)",
        id="duplicate-stage",
    ),
    pytest.param(
        _broken("    expected_days: 3", "    expected_days: 3\n    next: [signing]"),
        "deal.yaml:19: stages[booking].next[0]: 'signing' is not a stage id",
        id="unknown-next",
    ),
    pytest.param(
        _broken("    expected_days: 3", "    expected_days: 3\n    next: [done]"),
        "deal.yaml:30: stages[contract].id: stage 'contract' cannot be reached from 'booking'",
        id="unreachable",
    ),
    pytest.param(
        _broken("    owner: support\n    final: true", "    owner: support\n    next: [booking]"),
        "deal.yaml:14: stages: no stage closes the deal",
        id="no-final-stage",
    ),
    pytest.param(
        _broken("    no_payments_before: contract", "    no_payments_before: escrow"),
        "deal.yaml:44: rules[pay_later].no_payments_before: 'escrow' is not a stage id",
        id="rule-unknown-stage",
    ),
    pytest.param(
        _broken("    enter: contract\n", ""),
        "deal.yaml:46: rules[docs_first]: a rule is either no_payments_before: <stage> or "
        "enter: <stage> with after_documents_of: <stage>",
        id="rule-half",
    ),
    pytest.param(
        _broken("    expected_days: 3", "    expected_days: 0"),
        "deal.yaml:18: stages[booking].expected_days: must be a whole number of days from 1",
        id="days",
    ),
    pytest.param(
        _broken("      now: {ru: Бронь, en: Booked}\n", ""),
        "deal.yaml:19: stages[booking].message.now: expected a text per language",
        id="no-now",
    ),
    pytest.param(
        _broken(
            "    title: {ru: Бронь, en: Booking}",
            "    title: {ru: Бронь, en: Booking}\n    colour: red",
        ),
        "deal.yaml:17: stages[booking].colour: unknown key",
        id="unknown-key",
    ),
    pytest.param(
        "id: flat\nversion: 1\nlanguages: [ru]\nroles: [\n",
        "deal.yaml:5: YAML syntax error",
        id="syntax",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_every_mistake_names_the_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(DealFileError) as caught:
        parse_deal(text, "deal.yaml")
    first = caught.value.problems[0]
    assert first.startswith(expected), caught.value.problems


def test_deal_people_naming_a_role_the_file_lacks_is_an_error() -> None:
    with pytest.raises(DealFileError) as caught:
        parse_deal(GOOD, "deal.yaml", parse_people("support=1;lawyer=2,3"))
    assert caught.value.problems == (
        "DEAL_PEOPLE: role 'lawyer' is not in deal.yaml (its roles: support)",
    )
    with pytest.raises(ValueError, match="'lawyer=abc' is not role=ids"):
        parse_people("lawyer=abc")


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DealFileError) as caught:
        load_deal(tmp_path / "nope.yaml")
    assert caught.value.problems == (f"{tmp_path / 'nope.yaml'}: file not found",)
