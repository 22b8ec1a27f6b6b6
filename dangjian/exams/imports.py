"""Question import (Excel/CSV, all-or-nothing, row-numbered errors), the template and the export (same columns,
so an exported file can be edited and imported back: rows with an ID change that question)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.core.tabular import ImportRejected, RowError, open_upload, read_table, write_xlsx

from .bank import LETTERS, content_as_plain, parse_content, question_create, question_edit
from .models import Question, QuestionBank

MAX_ROWS = 5000
COLUMNS = (
    {
        "ID": "id",
        "题目ID": "id",
        "编号": "id",
        "题型": "type",
        "type": "type",
        "分类": "category",
        "category": "category",
        "难度": "difficulty",
        "difficulty": "difficulty",
        "题干": "stem",
        "题目": "stem",
        "stem": "stem",
        "question": "stem",
        "答案": "answer",
        "answer": "answer",
        "解析": "explanation",
        "explanation": "explanation",
        "知识点": "knowledge_points",
        "knowledge points": "knowledge_points",
    }
    | {f"选项{c}": f"option_{c}" for c in LETTERS}
    | {f"option {c}": f"option_{c}" for c in LETTERS}
)
HEADERS = ["ID", "题型", "分类", "难度", "题干", *[f"选项{c}" for c in LETTERS], "答案", "解析", "知识点"]
TYPE_NAMES = {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空"}


def _row(values: dict[str, Any]) -> list[Any]:
    options = list(values.get("options") or [])
    return [
        values.get("id", ""),
        TYPE_NAMES.get(values["type"], values["type"]),
        values.get("category", ""),
        values.get("difficulty", 3),
        values["stem"],
        *(options + [""] * len(LETTERS))[: len(LETTERS)],
        values["answer"],
        values.get("explanation", ""),
        values.get("knowledge_points", ""),
    ]


def question_template() -> bytes:
    examples = [
        {
            "type": "single",
            "category": "党章/总纲",
            "difficulty": 2,
            "stem": "党的最高理想和最终目标是？",
            "options": ["实现共产主义", "全面建成小康社会", "实现现代化"],
            "answer": "A",
            "explanation": "见党章总纲。",
            "knowledge_points": "党的性质和宗旨",
        },
        {
            "type": "multiple",
            "category": "党章",
            "difficulty": 3,
            "stem": "“四个意识”包括？",
            "options": ["政治意识", "大局意识", "核心意识", "看齐意识"],
            "answer": "ABCD",
            "knowledge_points": "四个意识",
        },
        {"type": "judge", "category": "党规/党费", "difficulty": 1, "stem": "党员应按月交纳党费。", "answer": "对"},
        {
            "type": "blank",
            "category": "党章/总纲",
            "difficulty": 2,
            "stem": "中国共产党是中国____的先锋队，同时是中国人民和中华民族的先锋队。",
            "answer": "工人阶级|中国工人阶级",
            "knowledge_points": "党的性质和宗旨",
        },
    ]
    return write_xlsx(HEADERS, [_row(e) for e in examples], title="题库导入")


def questions_export(bank: QuestionBank) -> bytes:
    qs = (
        Question.objects.filter(bank=bank, is_active=True, current_version__isnull=False)
        .select_related("current_version", "category")
        .prefetch_related("current_version__knowledge_points")
        .order_by("id")
    )

    def rows() -> Any:
        for q in qs.iterator(chunk_size=500):
            plain = content_as_plain(q.current_version, q.category.full_name if q.category else "")  # type: ignore[arg-type]
            yield _row(plain | {"id": q.pk})

    return write_xlsx(HEADERS, rows(), title=bank.name)


def questions_import(*, bank: QuestionBank, upload: Any, acting_user: Any) -> dict[str, int]:
    """Check every row, then write them all in one transaction — or nothing, with every bad row by number."""
    require_org_perm(acting_user, bank.org, "members.manage")
    kind, stream = open_upload(upload)
    errors: list[RowError] = []
    parsed: list[tuple[int, int | None, Any]] = []
    for number, data in read_table(kind, stream, COLUMNS, required=["type", "stem", "answer"]):
        if len(parsed) + len(errors) >= MAX_ROWS:
            raise DomainError(
                _("At most %(n)d questions in one file.") % {"n": MAX_ROWS},
                [{"row": number, "field": "file", "message": _("Too many rows.")}],
            )
        qid: int | None = None
        raw_id = str(data.get("id") or "").strip()
        if raw_id:
            if not raw_id.isdigit():
                errors.append(
                    RowError(
                        number, "id", _("The ID must be a question number of this bank, or empty for a new question.")
                    )
                )
                continue
            qid = int(raw_id)
        data["options"] = [data.get(f"option_{c}") for c in LETTERS if data.get(f"option_{c}") not in (None, "")]
        content, problems = parse_content(data)
        for p in problems:
            errors.append(RowError(number, p["field"], p["message"]))
        if content is not None:
            parsed.append((number, qid, content))
    ids = [qid for _n, qid, _c in parsed if qid is not None]
    existing = {
        q.pk: q
        for q in Question.objects.filter(bank=bank, pk__in=ids).select_related("bank", "current_version", "category")
    }
    seen: dict[int, int] = {}
    for number, qid, _content in parsed:
        if qid is None:
            continue
        if qid not in existing:
            errors.append(RowError(number, "id", _("No question %(id)d in this bank.") % {"id": qid}))
        elif qid in seen:
            errors.append(RowError(number, "id", _("Also on row %(r)d.") % {"r": seen[qid]}))
        seen.setdefault(qid, number)
    if not parsed and not errors:
        raise DomainError(
            _("The file has no questions."), [{"row": 0, "field": "file", "message": _("The file has no questions.")}]
        )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.field)))
    created = updated = 0
    with transaction.atomic():
        for _number, qid, content in parsed:
            if qid is None:
                question_create(bank=bank, content=content, acting_user=acting_user, audited=False)
                created += 1
            else:
                question = existing[qid]
                if question.current_version is not None:
                    reparsed, _p = parse_content(
                        vars(content)
                        | {"options": [o["text"] for o in content.options], "answer": _letters_or_raw(content)},
                        old_options=question.current_version.options,
                    )
                    content = reparsed or content
                question_edit(question=question, content=content, acting_user=acting_user)
                updated += 1
        audit(
            acting_user,
            "exams.questions_import",
            bank,
            org_path=bank.org_path,
            after={"created": created, "updated": updated, "file": getattr(upload, "name", "")},
        )
    return {"created": created, "updated": updated}


def _letters_or_raw(content: Any) -> Any:
    """The answer back in letters, so that a re-parse against the old option ids keeps them."""
    ids = [o["id"] for o in content.options]
    if content.type == "single":
        return LETTERS[ids.index(content.answer)]
    if content.type == "multiple":
        return "".join(LETTERS[ids.index(a)] for a in content.answer)
    if content.type == "judge":
        return "对" if content.answer else "错"
    return content.answer
