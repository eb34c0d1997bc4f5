from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.checklist import (
    BUNDLED_CHECKLIST,
    Checklist,
    ChecklistError,
    Localized,
    QuestionKind,
    describe_answer,
)
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.conditions import ChoiceOp, ChoiceTest

HERE = Path(__file__).parent / "checklists"
MINIMAL = (HERE / "minimal.yaml").read_text(encoding="utf-8")


def problems(text: str) -> str:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(text, "test.yaml")
    message = str(caught.value)
    assert message == "\n".join(caught.value.problems)
    return message


def first_problem(text: str) -> str:
    return problems(text).splitlines()[0]


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `fragment`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return found[occurrence - 1]


def changed(old: str, new: str, text: str = MINIMAL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- good files ---------------------------------------------------------------------------


def test_bundled_checklist_loads() -> None:
    checklist = load_checklist()
    assert checklist.id == "new-buildings"
    assert checklist.languages == ("ru", "en")
    assert checklist.source_path == BUNDLED_CHECKLIST
    assert checklist.name_question is not None
    assert checklist.name_question.id == "name"
    assert checklist.phone_question is not None
    assert checklist.phone_question.id == "phone"
    assert all(checklist.question(qid) for qid in checklist.staff_title)


def test_bundled_ids_fit_callback_data() -> None:
    checklist = load_checklist()
    for question in checklist.questions:
        assert len(question.id) <= 20
        assert all(len(option.id) <= 20 for option in question.options)


def test_minimal_file_loads_with_defaults() -> None:
    checklist = load_checklist(HERE / "minimal.yaml")
    assert isinstance(checklist, Checklist)
    assert checklist.version == 3
    assert checklist.scoring.follow_up_days == 30
    purpose = checklist.question("purpose")
    assert purpose.kind is QuestionKind.SINGLE
    assert purpose.is_choice
    assert not purpose.optional
    assert purpose.option("rent").points == 0
    assert checklist.rules[0].when == ChoiceTest(
        question="purpose", op=ChoiceOp.IS, options=("rent",)
    )
    assert checklist.name_question is None
    assert checklist.phone_question is None


def test_parse_checklist_has_no_source_path() -> None:
    assert parse_checklist(MINIMAL, "inline").source_path is None


def test_lookups_raise_key_error() -> None:
    checklist = parse_checklist(MINIMAL, "test.yaml")
    with pytest.raises(KeyError):
        checklist.question("nope")
    with pytest.raises(KeyError):
        checklist.question("purpose").option("nope")


def test_texts_are_ordered_by_checklist_languages_for_fallback() -> None:
    text = changed("text: {ru: Цель, en: Purpose}", "text: {en: Purpose, ru: Цель}")
    question = parse_checklist(text, "test.yaml").question("purpose")
    assert list(question.text.texts) == ["ru", "en"]
    assert question.text.get("en") == "Purpose"
    assert question.text.get("de") == "Цель"


def test_localized_get_falls_back_to_any_text() -> None:
    assert Localized(texts={"en": "Hi"}).get("ru") == "Hi"
    assert Localized(texts={}).get("ru") == ""


def test_models_are_frozen_and_hashable() -> None:
    checklist = parse_checklist(MINIMAL, "test.yaml")
    assert hash(checklist) == hash(parse_checklist(MINIMAL, "test.yaml"))
    with pytest.raises(ValueError, match="frozen"):
        checklist.question("purpose").id = "x"


def test_no_phone_question_is_allowed() -> None:
    assert parse_checklist(MINIMAL, "test.yaml").phone_question is None


# --- describe_answer ----------------------------------------------------------------------


def test_describe_answer() -> None:
    checklist = load_checklist()
    budget = checklist.question("budget")
    assert describe_answer(budget, 8_500_000, "ru") == "8\u2009500\u2009000\u00a0₽"
    assert describe_answer(budget, 8_500_000, "en") == "8\u2009500\u2009000\u00a0RUB"
    assert describe_answer(checklist.question("purpose"), "live", "en") == "To live in"
    payment = checklist.question("payment")
    assert describe_answer(payment, ("mortgage", "cash"), "en") == "Mortgage, Own funds"
    assert describe_answer(checklist.question("name"), "Иван", "en") == "Иван"
    assert describe_answer(checklist.question("phone"), "+79161234567", "ru") == "+7 916 123-45-67"
    assert describe_answer(checklist.question("call_time"), None, "ru") is None


def test_describe_answer_number_without_unit_and_unknown_option() -> None:
    checklist = parse_checklist(MINIMAL, "test.yaml")
    assert describe_answer(checklist.question("budget"), 1234, "en") == "1\u2009234"
    assert describe_answer(checklist.question("purpose"), "gone", "en") == "gone"


def test_short_label_defaults_to_text() -> None:
    checklist = load_checklist()
    rooms = checklist.question("rooms")
    assert rooms.option("room_2").short_label("ru") == "2-к"
    payment = checklist.question("payment")
    assert payment.option("cash").short_label("en") == payment.option("cash").label("en")


# --- file-level problems ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    assert str(caught.value) == f"{path}: file not found"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read the file"):
        load_checklist(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: café".encode("latin-1"))
    with pytest.raises(ChecklistError, match="not UTF-8"):
        load_checklist(path)


def test_typo_key_in_a_file_reports_file_line_and_key() -> None:
    path = HERE / "typo_key.yaml"
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    first = caught.value.problems[0]
    assert first.startswith(f"{path}:10: questions[purpose].optinos: unknown key 'optinos'")
    assert "did you mean 'options'?" in first
    # A question with a mistake is not cross-checked, so its consequences stay quiet.
    assert len(caught.value.problems) == 1


def test_yaml_syntax_error_has_line_and_column() -> None:
    text = "id: x\nversion: 1\nquestions:\n  - id: a\n   kind: single\n"
    message = problems(text)
    assert message.startswith("test.yaml:5: YAML syntax error at column 4")


def test_tab_indentation_is_a_syntax_error() -> None:
    assert first_problem("id: x\n\tversion: 1\n").startswith("test.yaml:2: YAML syntax error")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "test.yaml:1: the file is empty"),
        ("- a\n- b\n", "test.yaml:1: the file is a list, not a mapping"),
        ("hello\n", "test.yaml:1: the file is 'hello', not a mapping"),
    ],
)
def test_not_a_mapping(text: str, expected: str) -> None:
    assert first_problem(text).startswith(expected)


def test_duplicate_yaml_key() -> None:
    text = changed("version: 3\n", "version: 3\nversion: 4\n")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'version: 4')}: version: duplicate key 'version' "
        f"(also on line {line_of(text, 'version: 3')}); the last one wins"
    )


# --- keys and types -----------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    text = changed("phone_region: RU", "phone_regoin: RU")
    message = problems(text)
    assert message.splitlines()[0] == (
        "test.yaml:5: phone_regoin: unknown key 'phone_regoin' (did you mean 'phone_region'?)"
    )
    # The comment on line 1 is not part of the mapping, which starts on line 2.
    assert "test.yaml:2: missing required key 'phone_region'" in message


def test_unknown_option_key_uses_ids_in_the_path() -> None:
    text = changed("{id: rent, text:", "{id: rent, pionts: 5, text:")
    line = line_of(text, "pionts")
    assert first_problem(text) == (
        f"test.yaml:{line}: questions[purpose].options[rent].pionts: "
        "unknown key 'pionts' (did you mean 'points'?)"
    )


def test_source_path_cannot_come_from_the_file() -> None:
    text = changed("version: 3\n", "version: 3\nsource_path: /etc/passwd\n")
    assert "source_path: unknown key 'source_path'" in first_problem(text)


def test_missing_required_question_key() -> None:
    text = changed("    kind: number\n", "")
    line = line_of(text, "- id: budget")
    expected = f"test.yaml:{line}: questions[budget]: missing required key 'kind'"
    assert first_problem(text) == expected


def test_missing_top_level_keys_are_all_listed() -> None:
    message = problems("id: x\n")
    for key in ("version", "languages", "phone_region", "scoring", "questions"):
        assert f"test.yaml:1: missing required key '{key}'" in message


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("version: 3", 'version: "3"', "version", "expected a whole number, got '3'"),
        ("min: 0", "min: 0.5", "questions[budget].min", "keep whole numbers only"),
        ("kind: single", "kind: singel", "questions[purpose].kind", "got 'singel'"),
        ("verdict: reject", "verdict: maybe", "rules[rent].verdict", "must be one of"),
        ("languages: [ru, en]", "languages: ru", "languages", "expected a list"),
        ("scoring: {", "scoring: {follow_up_days: 0, ", "scoring.follow_up_days", "at least 1"),
    ],
)
def test_wrong_types(old: str, new: str, path: str, message: str) -> None:
    text = changed(old, new)
    first = first_problem(text)
    assert first.startswith(f"test.yaml:{line_of(text, new)}: {path}: ")
    assert message in first


def test_yes_no_words_are_explained() -> None:
    text = changed("{id: rent,", "{id: no,")
    first = first_problem(text)
    line = line_of(text, "id: no")
    assert first.startswith(f"test.yaml:{line}: questions[purpose].options[1].id: ")
    assert "YAML reads it as false; put it in quotes: 'no'" in first


def test_text_missing_a_language() -> None:
    text = changed("text: {ru: Бюджет, en: Budget}", "text: {ru: Бюджет}")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'Бюджет')}: questions[budget].text: missing the 'en' text"
    )


def test_text_with_an_unknown_language() -> None:
    text = changed("reason: {ru: Аренда, en: Renting}", "reason: {ru: Аренда, eng: Renting}")
    first = first_problem(text)
    assert first.startswith(f"test.yaml:{line_of(text, 'eng:')}: rules[rent].reason: ")
    assert "missing the 'en' text" in first
    assert "unknown language 'eng' (did you mean 'en'?)" in first


def test_text_must_be_a_mapping_of_languages() -> None:
    text = changed("text: {ru: Цель, en: Purpose}", "text: Purpose")
    assert "questions[purpose].text: expected the text in each language" in first_problem(text)


def test_empty_text() -> None:
    text = changed("en: Budget}", 'en: "  "}')
    assert "questions[budget].text: the 'en' text is empty" in first_problem(text)


# --- ids ----------------------------------------------------------------------------------


def test_duplicate_question_id() -> None:
    text = changed("  - id: budget\n", "  - id: purpose\n")
    first = first_problem(text)
    assert first == (
        f"test.yaml:{line_of(text, '- id: purpose', 2)}: questions[purpose].id: "
        f"duplicate question id 'purpose' (also on line {line_of(text, '- id: purpose')})"
    )


def test_duplicate_option_id() -> None:
    text = changed("{id: rent, text: {ru: Аренда", "{id: live, text: {ru: Аренда")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'Аренда, en: Rent')}: questions[purpose].options[live].id: "
        f"duplicate option id 'live' (also on line {line_of(text, 'id: live')})"
    )


def test_duplicate_rule_id() -> None:
    extra = "  - id: rent\n    when: {budget: {lt: 5}}\n    verdict: reject\n"
    extra += "    reason: {ru: мало, en: low}\n"
    text = MINIMAL + extra
    first = first_problem(text)
    assert first.startswith(f"test.yaml:{line_of(text, '- id: rent', 2)}: rules[rent].id: ")
    assert "duplicate rule id 'rent'" in first


@pytest.mark.parametrize(
    ("new_id", "shown", "message"),
    [
        # Ids that are not ids at all are shown by position.
        ("Purpose", "0", "'Purpose' is not a valid id"),
        ("why-buy", "0", "'why-buy' is not a valid id"),
        ("a" * 21, "a" * 21, "is too long: at most 20 characters (21)"),
    ],
)
def test_question_id_format(new_id: str, shown: str, message: str) -> None:
    text = changed("- id: purpose", f"- id: {new_id}")
    first = first_problem(text)
    assert first.startswith(f"test.yaml:{line_of(text, new_id)}: questions[{shown}].id: ")
    assert message in first


def test_option_id_too_long() -> None:
    text = changed("{id: rent,", "{id: rent_a_flat_for_a_while,")
    assert (
        "questions[purpose].options[rent_a_flat_for_a_while].id: "
        "'rent_a_flat_for_a_while' is too long: at most 20 characters (23)"
    ) in first_problem(text)


def test_checklist_id_allows_dashes_only_in_it() -> None:
    assert parse_checklist(changed("id: minimal", "id: new-buildings-2"), "t").id == (
        "new-buildings-2"
    )
    assert "id: 'New' is not a valid id" in first_problem(changed("id: minimal", "id: New"))


# --- kinds --------------------------------------------------------------------------------


def test_options_on_a_number_question() -> None:
    text = changed("    min: 0\n", "    min: 0\n    options: [{id: a, text: {ru: а, en: a}}]\n")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'options: [')}: questions[budget].options: "
        "'options' is only for single and multi questions, not number"
    )


def test_choice_question_without_options() -> None:
    text = changed(
        "    options:\n      - {id: live, text: {ru: Жить, en: Live}, points: 10}\n"
        "      - {id: rent, text: {ru: Аренда, en: Rent}}\n",
        "",
    )
    text = changed("when: {purpose: rent}", "when: {budget: {lt: 1}}", text)
    assert problems(text) == (
        f"test.yaml:{line_of(text, '- id: purpose')}: questions[purpose]: "
        "a single question needs options: 2 to 20 (has 0)"
    )


def test_choice_question_with_one_option() -> None:
    text = changed("      - {id: rent, text: {ru: Аренда, en: Rent}}\n", "")
    text = changed("when: {purpose: rent}", "when: {purpose: live}", text)
    assert "questions[purpose].options: a single question needs options: 2 to 20 (has 1)" in (
        first_problem(text)
    )


@pytest.mark.parametrize(
    ("insert", "key", "kinds"),
    [
        ("    max_length: 10\n", "max_length", "text"),
        ("    points_mode: sum\n", "points_mode", "multi"),
        ("    min_selected: 1\n", "min_selected", "multi"),
        ("    unit: {ru: ₽, en: RUB}\n", "unit", "number"),
    ],
)
def test_keys_only_for_some_kinds(insert: str, key: str, kinds: str) -> None:
    text = changed("    kind: single\n", "    kind: single\n" + insert)
    assert f"questions[purpose].{key}: '{key}' is only for {kinds} questions, not single" in (
        first_problem(text)
    )


def test_points_on_a_choice_question() -> None:
    text = changed("    kind: single\n", "    kind: single\n    points: 5\n")
    assert "questions[purpose].points: a single question gets its points from its options" in (
        first_problem(text)
    )


def test_min_selected_above_option_count() -> None:
    text = changed("kind: single", "kind: multi")
    text = changed("    kind: multi\n", "    kind: multi\n    min_selected: 3\n", text)
    assert "questions[purpose].min_selected: min_selected is 3 but there are only 2 options" in (
        first_problem(text)
    )


def test_more_than_one_name_role() -> None:
    extra = (
        "  - {id: first, kind: text, role: name, text: {ru: Имя, en: Name}}\n"
        "  - {id: second, kind: text, role: name, text: {ru: Имя, en: Name}}\n"
    )
    text = changed("rules:\n", extra + "rules:\n")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'id: second')}: questions[second].role: only one question "
        f"can have role: name (another one is on line {line_of(text, 'id: first')})"
    )


def test_text_max_length_limits() -> None:
    extra = "  - {id: note, kind: text, max_length: 5000, text: {ru: Имя, en: Name}}\n"
    text = changed("rules:\n", extra + "rules:\n")
    assert "questions[note].max_length: must be at most 4000" in first_problem(text)


# --- numbers and bands --------------------------------------------------------------------


def test_number_min_above_max() -> None:
    text = changed("    min: 0\n", "    min: 500\n")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'min: 500')}: questions[budget].min: "
        "min (500) is greater than max (100)"
    )


def test_overlapping_bands() -> None:
    text = changed("{min: 50, points: 10}", "{min: 40, points: 10}")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'min: 40')}: questions[budget].bands[1]: band from 40 "
        f"overlaps band from 0 to 50 (line {line_of(text, 'max: 50')}); "
        "a band covers min up to but not including max"
    )


def test_band_outside_min_max() -> None:
    text = changed(
        "{min: 50, points: 10}",
        "{min: 50, max: 100, points: 10}\n      - {min: 200, points: 1}",
    )
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'min: 200')}: questions[budget].bands[2]: band from 200 is "
        "outside the question's min..max (0..100): no answer can get its points"
    )


def test_band_may_start_below_the_question_min() -> None:
    text = changed("    min: 0\n", "    min: 10\n")
    assert parse_checklist(text, "t").question("budget").bands[0].min == 0


def test_band_min_not_below_its_max() -> None:
    text = changed("{min: 0, max: 50, points: 0}", "{min: 30, max: 30, points: 0}")
    assert "questions[budget].bands[0]: band min (30) must be less than its max (30)" in (
        first_problem(text)
    )


# --- conditions ---------------------------------------------------------------------------


def with_when(condition: str) -> str:
    """MINIMAL with a third question that has the given `when`."""
    extra = f"  - id: note\n    kind: text\n    when: {condition}\n    text: {{ru: а, en: a}}\n"
    return changed("rules:\n", extra + "rules:\n")


def test_when_on_an_earlier_question_loads() -> None:
    checklist = parse_checklist(with_when("{budget: {gte: 50, lt: 90}, purpose: live}"), "t")
    assert checklist.question("note").when is not None


def test_when_unknown_question() -> None:
    text = with_when("{purpse: live}")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'purpse')}: questions[note].when.purpse: "
        "unknown question 'purpse' (did you mean 'purpose'?)"
    )


def test_when_later_question() -> None:
    text = changed("    kind: number\n", "    kind: number\n    when: {note: {answered: true}}\n")
    text = changed("rules:\n", "  - {id: note, kind: text, text: {ru: а, en: a}}\nrules:\n", text)
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'when: {note')}: questions[budget].when.note: question 'note' "
        "comes later; a question can only depend on answers to earlier questions"
    )


def test_when_own_question() -> None:
    text = with_when("{note: {answered: false}}")
    assert "questions[note].when.note: a question cannot depend on its own answer" in (
        first_problem(text)
    )


def test_when_unknown_option() -> None:
    text = with_when("{purpose: [live, rnet]}")
    assert first_problem(text) == (
        f"test.yaml:{line_of(text, 'rnet')}: questions[note].when.purpose: 'purpose' has no "
        "option 'rnet' (did you mean 'rent'?); its options: live, rent"
    )


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ("{purpose: {lt: 5}}", "purpose.lt", "numbers can only be compared"),
        ("{purpose: {includes: live}}", "purpose.includes", "'includes' is for multi questions"),
        ("{budget: {in: [live]}}", "budget.in", "'budget' is a number question"),
        ("{budget: live}", "budget", "'budget' is a number question"),
        ("{purpose: 5}", "purpose", "numbers can only be compared"),
    ],
)
def test_matcher_not_for_the_kind(condition: str, path: str, message: str) -> None:
    first = first_problem(with_when(condition))
    assert f"questions[note].when.{path}: " in first
    assert message in first


def test_multi_rejects_single_matchers() -> None:
    text = changed("kind: single", "kind: multi")
    text = changed("when: {purpose: rent}", "when: {purpose: {not_in: [rent]}}", text)
    assert "rules[rent].when.purpose.not_in: 'not_in' is for single questions" in (
        first_problem(text)
    )


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ("{budget: {gtee: 5}}", "budget.gtee", "unknown matcher 'gtee' (did you mean 'gte'?)"),
        ("{budget: {lt: five}}", "budget.lt", "'lt' takes a number or a date like 2027-01-01"),
        ("{purpose: {answered: maybe}}", "purpose.answered", "takes true or false"),
        ("{any: []}", "any", "'any' needs a non-empty list of conditions"),
        ("{not: live}", "not", "a condition must be a mapping"),
        ("{}", "", "empty condition"),
        ("{purpose: {}}", "purpose", "no matcher given"),
        ("{purpose: [live, 5]}", "purpose", "option ids must be text"),
        ("{any: [{purpose: live}, {budgt: {lt: 1}}]}", "any[1].budgt", "unknown question"),
    ],
)
def test_condition_syntax(condition: str, path: str, message: str) -> None:
    first = first_problem(with_when(condition))
    prefix = "questions[note].when" + (f".{path}" if path else "")
    assert f"{prefix}: " in first
    assert message in first


def test_rule_may_use_any_question() -> None:
    text = changed("when: {purpose: rent}", "when: {budget: {lt: 10}}")
    assert parse_checklist(text, "t").rules[0].id == "rent"


def test_rule_unknown_question() -> None:
    text = changed("when: {purpose: rent}", "when: {purpos: rent}")
    assert f"test.yaml:{line_of(text, 'purpos:')}: rules[rent].when.purpos: unknown question" in (
        first_problem(text)
    )


def test_follow_up_days_only_on_nurture_rules() -> None:
    text = changed("    verdict: reject\n", "    verdict: reject\n    follow_up_days: 10\n")
    assert "rules[rent].follow_up_days: follow_up_days is only for nurture rules" in (
        first_problem(text)
    )


# --- checklist-wide -----------------------------------------------------------------------


def test_staff_title_unknown_question() -> None:
    text = changed("staff_title: [purpose]", "staff_title: [purpose, budgte]")
    assert first_problem(text) == (
        "test.yaml:6: staff_title[1]: unknown question 'budgte' (did you mean 'budget'?)"
    )


def test_nurture_above_target() -> None:
    text = changed("scoring: {target: 20, nurture: 10}", "scoring: {target: 20, nurture: 30}")
    assert first_problem(text) == (
        "test.yaml:7: scoring.nurture: nurture (30) is above target (20); it must be lower or equal"
    )


def test_phone_region_must_be_known() -> None:
    assert "phone_region: 'Russia' is not a country code" in first_problem(
        changed("phone_region: RU", "phone_region: Russia")
    )


def test_language_codes() -> None:
    assert "languages: 'RU' is not a language code" in first_problem(
        changed("languages: [ru, en]", "languages: [RU, en]")
    )


def test_no_questions() -> None:
    text = MINIMAL.split("questions:")[0] + "questions: []\n"
    line = line_of(text, "questions")
    assert first_problem(text) == f"test.yaml:{line}: questions: add at least one question"


def test_many_mistakes_are_all_reported() -> None:
    text = changed("version: 3", "version: three")
    text = changed("text: {ru: Цель, en: Purpose}", "text: {ru: Цель}", text)
    text = changed("{min: 50, points: 10}", "{min: 40, points: 10}", text)
    text = changed("staff_title: [purpose]", "staff_title: [nope]", text)
    lines = problems(text).splitlines()
    # Shape mistakes first, then mistakes of meaning, each group in file order.
    assert [line.split(": ")[1] for line in lines] == [
        "version",
        "questions[purpose].text",
        "staff_title[0]",
        "questions[budget].bands[1]",
    ]
