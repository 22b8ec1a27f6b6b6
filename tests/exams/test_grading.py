"""Grading of every question type, with the edge cases a client can send: empty answers, extra spaces, full-width
characters, duplicate options, ids from another question, wrong shapes. Grading never raises."""

from decimal import Decimal

import pytest

from dangjian.exams.bank import parse_content
from dangjian.exams.grading import fraction, normalise_text, score

OPTIONS = [
    {"id": "a1", "text": "政治意识"},
    {"id": "b2", "text": "大局意识"},
    {"id": "c3", "text": "核心意识"},
    {"id": "d4", "text": "消费意识"},
]
RIGHT = ["a1", "b2", "c3"]


def multiple(response, partial="none", points="4"):
    return score(
        points=Decimal(points), type="multiple", answer=RIGHT, options=OPTIONS, response=response, partial=partial
    )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("b2", "2.00"),
        ("a1", "0.00"),
        ("", "0.00"),
        (None, "0.00"),
        (["b2"], "2.00"),
        (["b2", "a1"], "0.00"),
        ("zz99", "0.00"),  # an id from another question
        (7, "0.00"),
        ({"id": "b2"}, "0.00"),
    ],
)
def test_single(response, expected):
    assert score(points=Decimal(2), type="single", answer="b2", options=OPTIONS, response=response) == Decimal(expected)


def test_multiple_exact_set_only_by_default():
    assert multiple(["a1", "b2", "c3"]) == Decimal("4.00")
    assert multiple(["c3", "a1", "b2"]) == Decimal("4.00")  # order does not matter
    assert multiple(["a1", "b2", "c3", "a1", "b2"]) == Decimal("4.00")  # duplicates count once
    assert multiple(["a1", "b2"]) == Decimal("0.00")  # a subset earns nothing without partial credit
    assert multiple(["a1", "b2", "c3", "d4"]) == Decimal("0.00")
    assert multiple([]) == Decimal("0.00")
    assert multiple(None) == Decimal("0.00")
    assert multiple("a1") == Decimal("0.00")


def test_multiple_partial_credit_rules():
    assert multiple(["a1", "b2"], partial="half") == Decimal("2.00")  # correct subset, nothing wrong: half
    assert multiple(["a1"], partial="half") == Decimal("2.00")
    assert multiple(["a1", "d4"], partial="half") == Decimal("0.00")  # anything wrong: nothing
    assert multiple(["a1", "b2", "c3"], partial="half") == Decimal("4.00")
    assert multiple(["a1", "b2"], partial="proportional") == Decimal("2.67")  # 4 × 2/3, half-up
    assert multiple(["a1", "a1"], partial="proportional") == Decimal("1.33")  # the duplicate counts once: 4 × 1/3
    assert multiple(["a1", "zz99"], partial="half") == Decimal("0.00")  # an id of another question is a wrong choice
    assert multiple([], partial="proportional") == Decimal("0.00")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (True, "2.00"),
        ("true", "2.00"),
        ("对", "2.00"),
        ("正确", "2.00"),
        (" TRUE ", "2.00"),
        ("Ｔｒｕｅ", "2.00"),
        ("√", "2.00"),
        (False, "0.00"),
        ("错", "0.00"),
        ("", "0.00"),
        (None, "0.00"),
        ("maybe", "0.00"),
        ([True], "0.00"),
    ],
)
def test_judge(response, expected):
    assert score(points=Decimal(2), type="judge", answer=True, options=[], response=response) == Decimal(expected)


def test_judge_false_answer():
    assert score(points=Decimal(2), type="judge", answer=False, options=[], response="false") == Decimal("2.00")
    assert score(points=Decimal(2), type="judge", answer=False, options=[], response=None) == Decimal(
        "0.00"
    )  # empty is not "false"


BLANK = [["工人阶级", "中国工人阶级"]]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("工人阶级", "3.00"),
        ("中国工人阶级", "3.00"),
        ("  工人 阶级 ", "3.00"),
        ("工人\u3000阶级", "3.00"),  # spaces, ideographic space
        (["工人阶级"], "3.00"),
        ("农民阶级", "0.00"),
        ("", "0.00"),
        (None, "0.00"),
        ([], "0.00"),
        ({"x": 1}, "0.00"),
    ],
)
def test_blank_single(response, expected):
    assert score(points=Decimal(3), type="blank", answer=BLANK, options=[], response=response) == Decimal(expected)


def test_blank_full_width_and_case():
    answer = [["CPC", "中国共产党"], ["1921"]]
    assert normalise_text("ＣＰＣ") == "cpc"
    assert score(
        points=Decimal(4), type="blank", answer=answer, options=[], response=["ｃｐｃ", "１９２１"]
    ) == Decimal("4.00")
    assert score(points=Decimal(4), type="blank", answer=answer, options=[], response=["cpc", "1922"]) == Decimal(
        "2.00"
    )  # per blank
    assert score(points=Decimal(4), type="blank", answer=answer, options=[], response=["cpc"]) == Decimal(
        "2.00"
    )  # missing blank
    assert score(points=Decimal(4), type="blank", answer=answer, options=[], response="cpc|1921") == Decimal("4.00")
    assert score(
        points=Decimal(4), type="blank", answer=answer, options=[], response=["cpc", "1921", "extra"]
    ) == Decimal("4.00")


def test_unknown_type_scores_zero():
    assert fraction(type="essay", answer="x", options=[], response="x") == 0


def test_parse_content_builds_ids_and_typed_answers():
    c, errors = parse_content(
        {
            "type": "多选",
            "stem": "四个意识",
            "options": ["政治意识", "大局意识", "核心意识"],
            "answer": "a、C",
            "difficulty": "4",
        }
    )
    assert not errors
    ids = [o["id"] for o in c.options]
    assert len(set(ids)) == 3 and sorted(c.answer) == sorted([ids[0], ids[2]]) and c.difficulty == 4
    c, errors = parse_content({"type": "判断", "stem": "对吗", "answer": "错"})
    assert not errors and c.answer is False and c.options == []
    c, errors = parse_content({"type": "填空", "stem": "____年____月", "answer": "1921；7|七"})
    assert not errors and c.answer == [["1921"], ["7", "七"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "essay", "stem": "x", "answer": "A"}, "type"),
        ({"type": "single", "stem": "", "options": ["a", "b"], "answer": "A"}, "stem"),
        ({"type": "single", "stem": "x", "options": ["a"], "answer": "A"}, "options"),
        (
            {"type": "single", "stem": "x", "options": ["a", "ａ"], "answer": "A"},
            "options",
        ),  # same text once normalised
        ({"type": "single", "stem": "x", "options": ["a", "b"], "answer": "AB"}, "answer"),
        ({"type": "single", "stem": "x", "options": ["a", "b"], "answer": "C"}, "answer"),
        ({"type": "multiple", "stem": "x", "options": ["a", "b"], "answer": ""}, "answer"),
        ({"type": "judge", "stem": "x", "answer": "也许"}, "answer"),
        ({"type": "blank", "stem": "____和____", "answer": "甲"}, "answer"),  # two blanks, one answer
        ({"type": "single", "stem": "x", "options": ["a", "b"], "answer": "A", "difficulty": "9"}, "difficulty"),
    ],
)
def test_parse_content_names_the_bad_field(data, field):
    content, errors = parse_content(data)
    assert content is None and field in {e["field"] for e in errors}
