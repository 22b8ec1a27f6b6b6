"""The question bank (versions, sharing down the tree, Excel import/export) and papers (rules checked when saved)."""

import io
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import translation
from openpyxl import Workbook, load_workbook

from dangjian.core.errors import DomainError
from dangjian.exams import imports, papers
from dangjian.exams.bank import bank_create, category_ensure, question_edit, question_set_active
from dangjian.exams.models import Category, Paper, Question, QuestionVersion
from dangjian.exams.selectors import banks_visible_to

from .conftest import add_question, content


def xlsx(rows, headers=None):
    wb = Workbook()
    ws = wb.active
    ws.append(headers or imports.HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("q.xlsx", out.getvalue())


def row(type_, stem, options=(), answer="A", category="党章", difficulty=2, qid="", kp=""):
    opts = list(options) + [""] * (8 - len(options))
    return [qid, type_, category, difficulty, stem, *opts, answer, "", kp]


# --- versions and sharing --------------------------------------------------------------------------


def test_editing_an_unused_question_changes_it_in_place_and_a_used_one_gets_a_new_version(cast, exam, bank):
    from dangjian.exams import attempts

    q = Question.objects.filter(bank=bank, type="single").last()
    v = question_edit(
        question=q,
        content=content(type="single", stem="新题干", options=["甲", "乙"], answer="A", category="党史"),
        acting_user=cast.committee,
    )
    assert v.number == 1 and QuestionVersion.objects.filter(question=q).count() == 1
    old_ids = [o["id"] for o in v.options]
    attempt, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user, rng=random.Random(3))
    used = attempt.questions.select_related("question__current_version").first().question
    current = used.current_version
    edited = question_edit(
        question=used,
        content=content(
            type=current.type,
            stem=current.stem + "（修订）",
            options=[o["text"] for o in current.options],
            answer=_plain_answer(current),
        ),
        acting_user=cast.committee,
    )
    assert edited.number == 2 and edited.pk != current.pk
    if current.options:
        assert [o["id"] for o in edited.options] != old_ids  # a different question's ids
    used.refresh_from_db()
    assert used.current_version_id == edited.pk


def _plain_answer(version):
    from dangjian.exams.bank import content_as_plain

    return content_as_plain(version)["answer"]


def test_option_ids_stay_stable_when_options_are_edited(cast, bank):
    q = Question.objects.filter(bank=bank, type="multiple").first()
    before = q.current_version.options
    from dangjian.exams.bank import parse_content

    parsed, _e = parse_content(
        {
            "type": "multiple",
            "stem": "四个意识包括？",
            "options": ["政治意识", "大局意识", "核心意识", "看齐意识"],
            "answer": "ABCD",
        },
        old_options=before,
    )
    v = question_edit(question=q, content=parsed, acting_user=cast.committee)
    assert [o["id"] for o in v.options] == [o["id"] for o in before]


def test_banks_are_shared_down_the_tree_not_up_or_across(cast, bank):
    group_bank = bank_create(org=cast.group, name="集团题库", acting_user=cast.committee)
    assert set(banks_visible_to(cast.secretary_a)) == {bank, group_bank}  # Company A's and the group's
    assert set(banks_visible_to(cast.secretary_b)) == {group_bank}
    branch_bank = bank_create(org=cast.branch_a, name="支部题库", acting_user=cast.secretary_a)
    assert branch_bank in banks_visible_to(cast.committee)  # the committee governs Branch A
    with pytest.raises(Http404):
        bank_create(org=cast.branch_b, name="x", acting_user=cast.secretary_a)


def test_category_tree_matches_subtrees(cast, bank):
    root = Category.objects.get(bank=bank, full_name="党章")
    child = category_ensure(bank=bank, full_name="党章/总纲")
    assert child.parent == root and child.path.startswith(root.path)
    assert category_ensure(bank=bank, full_name="") is None


# --- import and export -----------------------------------------------------------------------------


def test_import_is_all_or_nothing_with_every_bad_row_numbered(cast, bank):
    before = Question.objects.count()
    upload = xlsx(
        [
            row("单选", "好题", ["甲", "乙"], "B"),
            row("单选", "", ["甲", "乙"], "B"),  # row 3: no stem
            row("问答", "x", [], "B"),  # row 4: unknown type
            row("多选", "好题2", ["甲", "乙", "丙"], "AD"),  # row 5: option D does not exist
            row("判断", "x", [], "也许", difficulty=9),  # row 6: answer and difficulty
            row("单选", "x", ["甲", "乙"], "A", qid="999999"),  # row 7: not a question of this bank
        ]
    )
    with pytest.raises(DomainError) as rejected:
        imports.questions_import(bank=bank, upload=upload, acting_user=cast.committee)
    errors = {(e["row"], e["field"]) for e in rejected.value.errors}
    assert errors == {(3, "stem"), (4, "type"), (5, "answer"), (6, "answer"), (6, "difficulty"), (7, "id")}
    assert Question.objects.count() == before


def test_import_creates_and_export_round_trips(cast, bank):
    upload = xlsx(
        [
            row(
                "单选", "党的根本宗旨是？", ["全心全意为人民服务", "发展经济"], "A", category="党章/宗旨", kp="党的宗旨"
            ),
            row("多选", "三会一课包括？", ["支部党员大会", "支委会", "党小组会", "运动会"], "ABC", difficulty=3),
            row("判断", "预备党员有表决权。", [], "错", difficulty=1),
            row("填空", "____年____月中国共产党成立。", [], "1921；7|七", difficulty=2),
        ]
    )
    assert imports.questions_import(bank=bank, upload=upload, acting_user=cast.committee) == {
        "created": 4,
        "updated": 0,
    }
    new = Question.objects.filter(bank=bank).order_by("-id")[:4]
    assert {q.type for q in new} == {"single", "multiple", "judge", "blank"}
    assert Question.objects.get(current_version__stem="党的根本宗旨是？").category.full_name == "党章/宗旨"
    exported = load_workbook(io.BytesIO(imports.questions_export(bank)))
    rows = list(exported.active.iter_rows(values_only=True))
    assert list(rows[0]) == imports.HEADERS and len(rows) == 1 + Question.objects.filter(bank=bank).count()
    # Edit one exported row and import the file back: that question changes, nothing else is created.
    target = next(r for r in rows[1:] if r[4] == "预备党员有表决权。")
    edited = list(target)
    edited[4] = "预备党员没有表决权。"
    edited[13] = "对"
    back = imports.questions_import(bank=bank, upload=xlsx([edited]), acting_user=cast.committee)
    assert back == {"created": 0, "updated": 1}
    q = Question.objects.get(pk=target[0])
    assert q.current_version.stem == "预备党员没有表决权。" and q.current_version.answer is True


def test_import_refuses_files_that_are_not_tables_and_missing_columns(cast, bank):
    with pytest.raises(DomainError):
        imports.questions_import(
            bank=bank, upload=SimpleUploadedFile("q.xlsx", b"MZ\x90\x00 not excel"), acting_user=cast.committee
        )
    with pytest.raises(DomainError) as missing:
        imports.questions_import(bank=bank, upload=xlsx([["x"]], headers=["题干"]), acting_user=cast.committee)
    assert {e["field"] for e in missing.value.errors} == {"type", "answer"}
    with pytest.raises(Http404):
        imports.questions_import(bank=bank, upload=xlsx([]), acting_user=cast.secretary_b)


def test_template_is_importable(cast, bank):
    upload = SimpleUploadedFile("t.xlsx", imports.question_template())
    assert imports.questions_import(bank=bank, upload=upload, acting_user=cast.committee)["created"] == 4


# --- papers ----------------------------------------------------------------------------------------


def test_a_rule_the_bank_cannot_satisfy_is_refused_naming_it(cast, bank):
    党章 = Category.objects.get(bank=bank, full_name="党章")
    rules = [
        papers.RuleSpec(type="single", count=8, points=Decimal(2), difficulty_min=2, difficulty_max=3, category=党章)
    ]
    with translation.override("en"), pytest.raises(DomainError) as bad:
        papers.paper_save_random(bank=bank, org=cast.company_a, name="x", rules=rules, acting_user=cast.committee)
    # Singles in 党章 (via 党章/总纲: even i) of difficulty 2–3 (i % 5 + 1): i = 2 (3) and i = 6 (2) → 2 of 8.
    assert bad.value.errors[0]["field"] == "rules.0"
    assert (
        "Rule 1 (8 × Single choice, difficulty 2–3, category 党章, 2 points each) needs 8 questions; the bank has 2"
        in bad.value.message
    )
    assert not Paper.objects.exists()


def test_overlapping_rules_are_checked_together(cast, bank):
    rules = [
        papers.RuleSpec(type="single", count=6, points=Decimal(1)),
        papers.RuleSpec(type="single", count=5, points=Decimal(1), difficulty_min=1, difficulty_max=5),
    ]
    with pytest.raises(DomainError) as bad:  # each alone fits in 10 singles, together they need 11
        papers.paper_save_random(bank=bank, org=cast.company_a, name="x", rules=rules, acting_user=cast.committee)
    assert bad.value.errors[0]["field"] == "rules" and "11" in bad.value.message


def test_bad_rules_and_papers_name_their_fields(cast, bank):
    cases = [
        ([], "rules"),
        ([papers.RuleSpec(type="essay", count=1, points=Decimal(1))], "rules.0.type"),
        ([papers.RuleSpec(type="single", count=0, points=Decimal(1))], "rules.0"),
        (
            [papers.RuleSpec(type="single", count=1, points=Decimal(1), difficulty_min=4, difficulty_max=2)],
            "rules.0.difficulty",
        ),
    ]
    for rules, field in cases:
        with pytest.raises(DomainError) as bad:
            papers.paper_save_random(bank=bank, org=cast.company_a, name="x", rules=rules, acting_user=cast.committee)
        assert bad.value.errors[0]["field"] == field
    with pytest.raises(DomainError) as bad:
        papers.paper_save_fixed(
            bank=bank,
            org=cast.company_a,
            name="x",
            items=[(1, Decimal(1)), (1, Decimal(1))],
            acting_user=cast.committee,
        )
    assert bad.value.errors[0]["field"] == "items"
    with pytest.raises(DomainError) as bad:
        papers.paper_save_random(
            bank=bank,
            org=cast.branch_b,
            name="x",
            rules=[papers.RuleSpec(type="single", count=1, points=Decimal(1))],
            acting_user=cast.committee,
        )
    assert bad.value.errors[0]["field"] == "bank"  # Company A's bank is not shared with Branch B


def test_draw_fills_overlapping_rules_with_distinct_questions(cast, bank):
    rules = [
        papers.RuleSpec(type="single", count=5, points=Decimal(1), difficulty_min=1, difficulty_max=5),
        papers.RuleSpec(type="single", count=4, points=Decimal(2), difficulty_min=4, difficulty_max=5),
    ]
    paper = papers.paper_save_random(
        bank=bank, org=cast.company_a, name="重叠", rules=rules, acting_user=cast.committee
    )
    for seed in range(30):
        slots = papers.draw(paper, random.Random(seed))
        assert len({s.question_id for s in slots}) == 9
        assert Counter(s.points for s in slots) == {Decimal(1): 5, Decimal(2): 4}


def test_a_question_taken_out_of_use_is_no_longer_drawn(cast, bank, random_paper):
    blanks = list(Question.objects.filter(bank=bank, type="blank"))
    question_set_active(question=blanks[0], active=False, acting_user=cast.committee)
    question_set_active(question=blanks[1], active=False, acting_user=cast.committee)
    with pytest.raises(DomainError) as gone:  # the paper needs 2 blanks, 1 is left
        papers.draw(random_paper, random.Random(1))
    assert gone.value.status == 409


def test_new_questions_are_added_through_the_service_only_by_organisers(cast, bank):
    with pytest.raises(Http404):
        add_question(bank, cast.secretary_b, type="judge", stem="x", answer="对")
