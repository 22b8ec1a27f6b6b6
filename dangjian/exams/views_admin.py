"""Organiser screens: question banks and questions (with Excel import and export), papers, exam settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.errors import form_add_domain_error as _form_errors
from dangjian.core.scoping import get_or_404, scope_paths
from dangjian.core.tabular import XLSX_CONTENT_TYPE

from . import bank as bank_services
from . import imports, papers, services
from .forms import BankForm, ExamForm, PaperForm, QuestionForm, RuleForm
from .models import Exam, Paper, Question, QuestionBank, QuestionType
from .selectors import banks_managed_by, banks_visible_to, exams_managed_by, papers_managed_by, papers_visible_to

RULE_ROWS = 8


def _organiser(request: HttpRequest) -> None:
    if not (
        request.user.is_superuser
        or getattr(request.user, "admin_role", "") == "system"
        or scope_paths(request.user, "members.manage")
    ):
        raise Http404


@login_required
def bank_list(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    banks = (
        banks_visible_to(request.user)
        .select_related("org")
        .annotate(n=Count("questions", filter=Q(questions__is_active=True)))
        .order_by("org_path", "name")
    )
    form = BankForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            bank = bank_services.bank_create(
                org=form.cleaned_data["org"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            return redirect("exams:bank", pk=bank.pk)
    managed = set(banks_managed_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "exams/banks.html",
        {"banks": banks[:200], "form": form, "managed": managed},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_or_404(banks_visible_to(request.user).select_related("org"), pk=pk)
    manage = banks_managed_by(request.user).filter(pk=bank.pk).exists()
    qs = bank.questions.select_related("current_version", "category").order_by("-is_active", "id")
    qtype, category, text = (
        request.GET.get("type", ""),
        request.GET.get("category", ""),
        request.GET.get("q", "").strip(),
    )
    if qtype in QuestionType.values:
        qs = qs.filter(type=qtype)
    if category.isdigit():
        cat = bank.categories.filter(pk=int(category)).first()
        if cat is not None:
            qs = qs.filter(category_path__startswith=cat.path)
    if text:
        qs = qs.filter(current_version__stem__icontains=text[:100])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "exams/bank.html",
        {
            "bank": bank,
            "manage": manage,
            "page_obj": page,
            "querystring": querystring.urlencode(),
            "categories": bank.categories.all(),
            "types": QuestionType.choices,
            "filters": request.GET,
            "import_errors": None,
        },
    )


@login_required
@require_POST
def bank_import(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_or_404(banks_managed_by(request.user), pk=pk)
    try:
        result = imports.questions_import(bank=bank, upload=request.FILES.get("file"), acting_user=request.user)
    except DomainError as exc:
        page = Paginator(bank.questions.select_related("current_version", "category").order_by("id"), 50).get_page(1)
        return render(
            request,
            "exams/bank.html",
            {
                "bank": bank,
                "manage": True,
                "page_obj": page,
                "querystring": "",
                "categories": bank.categories.all(),
                "types": QuestionType.choices,
                "filters": {},
                "import_errors": exc,
            },
            status=400,
        )
    messages.success(
        request, _("Imported: %(c)d new questions, %(u)d changed.") % {"c": result["created"], "u": result["updated"]}
    )
    return redirect("exams:bank", pk=bank.pk)


@login_required
def bank_template(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    response = HttpResponse(imports.question_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="question-template.xlsx"'
    return response


@login_required
def bank_export(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_or_404(banks_managed_by(request.user), pk=pk)
    response = HttpResponse(imports.questions_export(bank), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="bank-{bank.pk}.xlsx"'
    return response


@login_required
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_or_404(banks_managed_by(request.user), pk=pk)
    return _question_form(request, bank, None)


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_or_404(
        Question.objects.filter(bank__in=banks_managed_by(request.user)).select_related(
            "bank", "current_version", "category"
        ),
        pk=pk,
    )
    return _question_form(request, question.bank, question)


def _question_form(request: HttpRequest, bank: QuestionBank, question: Question | None) -> HttpResponse:
    initial = None
    if question is not None and question.current_version is not None:
        plain = bank_services.content_as_plain(
            question.current_version, question.category.full_name if question.category else ""
        )
        initial = plain | {"options": "\n".join(plain["options"])}
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        old = question.current_version.options if question is not None and question.current_version else None
        content, errors = bank_services.parse_content(form.plain(), old_options=old)
        try:
            if errors:
                raise DomainError(errors[0]["message"], errors)
            assert content is not None
            if question is None:
                bank_services.question_create(bank=bank, content=content, acting_user=request.user)
                messages.success(request, _("Question added."))
            else:
                version = bank_services.question_edit(question=question, content=content, acting_user=request.user)
                messages.success(request, _("Saved as version %(n)d.") % {"n": version.number})
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            return redirect("exams:bank", pk=bank.pk)
    versions = question.versions.order_by("-number") if question is not None else []
    return render(
        request,
        "exams/question_form.html",
        {"form": form, "bank": bank, "question": question, "versions": versions},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def question_active(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_or_404(
        Question.objects.filter(bank__in=banks_managed_by(request.user)).select_related("bank"), pk=pk
    )
    bank_services.question_set_active(
        question=question, active=request.POST.get("active") == "1", acting_user=request.user
    )
    return redirect("exams:bank", pk=question.bank_id)


# --- papers ---------------------------------------------------------------------------------------


@login_required
def paper_list(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    papers_qs = papers_visible_to(request.user).select_related("bank", "org").order_by("-created_at")
    banks = banks_visible_to(request.user).order_by("name")
    return render(request, "exams/papers.html", {"papers": papers_qs[:200], "banks": banks[:200]})


@login_required
def paper_new(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("bank") or request.POST.get("bank") or ""
    if not raw.isdigit():
        raise Http404
    bank = get_or_404(banks_visible_to(request.user), pk=int(raw))
    return _paper_form(request, bank, None)


@login_required
def paper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_or_404(papers_managed_by(request.user).select_related("bank", "org"), pk=pk)
    return _paper_form(request, paper.bank, paper)


def _paper_form(request: HttpRequest, bank: QuestionBank, paper: Paper | None) -> HttpResponse:
    initial = None
    rule_initial: list[dict[str, Any]] = []
    if paper is not None:
        initial = {
            "name": paper.name,
            "org": paper.org_id,
            "kind": paper.kind,
            "shuffle_questions": paper.shuffle_questions,
            "shuffle_options": paper.shuffle_options,
            "questions": "\n".join(f"{i.question_id} {i.points.normalize()}" for i in paper.items.all()),
        }
        rule_initial = [
            {
                "type": r.type,
                "count": r.count,
                "difficulty_min": r.difficulty_min,
                "difficulty_max": r.difficulty_max,
                "category": r.category_id,
                "points": r.points,
            }
            for r in paper.rules.all()
        ]
    form = PaperForm(request.POST or None, initial=initial, user=request.user, bank=bank)
    rule_forms = [
        RuleForm(
            request.POST or None, prefix=f"r{i}", bank=bank, initial=rule_initial[i] if i < len(rule_initial) else None
        )
        for i in range(RULE_ROWS)
    ]
    if request.method == "POST":
        used = [f for f in rule_forms if f.data.get(f"{f.prefix}-count")]
        if form.is_valid() and all(f.is_valid() for f in used):
            d = form.cleaned_data
            try:
                if d["kind"] == Paper.Kind.RANDOM:
                    rules = [
                        papers.RuleSpec(
                            **{
                                k: f.cleaned_data[k]
                                for k in ("type", "count", "difficulty_min", "difficulty_max", "category", "points")
                            }
                        )
                        for f in used
                    ]
                    saved = papers.paper_save_random(
                        bank=bank,
                        org=d["org"],
                        name=d["name"],
                        rules=rules,
                        acting_user=request.user,
                        paper=paper,
                        shuffle_questions=d["shuffle_questions"],
                        shuffle_options=d["shuffle_options"],
                    )
                else:
                    saved = papers.paper_save_fixed(
                        bank=bank,
                        org=d["org"],
                        name=d["name"],
                        items=d["questions"],
                        acting_user=request.user,
                        paper=paper,
                        shuffle_questions=d["shuffle_questions"],
                        shuffle_options=d["shuffle_options"],
                    )
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Paper saved: %(n)d questions, %(s)s points.")
                    % {"n": saved.question_count, "s": saved.max_score},
                )
                return redirect("exams:papers")
    return render(
        request,
        "exams/paper_form.html",
        {"form": form, "rule_forms": rule_forms, "bank": bank, "paper": paper},
        status=400 if request.method == "POST" else 200,
    )


# --- exams ----------------------------------------------------------------------------------------


@login_required
def exam_new(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    return _exam_form(request, None)


@login_required
def exam_edit(request: HttpRequest, pk: int) -> HttpResponse:
    exam = get_or_404(exams_managed_by(request.user).select_related("org", "paper"), pk=pk)
    return _exam_form(request, exam)


def _exam_form(request: HttpRequest, exam: Exam | None) -> HttpResponse:
    form = ExamForm(request.POST or None, instance=exam, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        org, paper = d.pop("org"), d.pop("paper")
        try:
            saved = services.exam_save(org=org, paper=paper, acting_user=request.user, exam=exam, **d)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Exam saved."))
            return redirect("exams:detail", pk=saved.pk)
    return render(
        request, "exams/exam_form.html", {"form": form, "exam": exam}, status=400 if request.method == "POST" else 200
    )


@login_required
@require_POST
def exam_publish(request: HttpRequest, pk: int) -> HttpResponse:
    exam = get_or_404(exams_managed_by(request.user).select_related("org"), pk=pk)
    try:
        services.exam_publish(exam=exam, acting_user=request.user)
        messages.success(request, _("Published: the members have been told."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("exams:detail", pk=exam.pk)


@login_required
@require_POST
def exam_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    exam = get_or_404(exams_managed_by(request.user).select_related("org"), pk=pk)
    services.exam_cancel(exam=exam, acting_user=request.user)
    messages.success(request, _("Exam cancelled."))
    return redirect("exams:detail", pk=exam.pk)
