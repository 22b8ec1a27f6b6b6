"""The HR import as a background job: check (with progress) → preview → confirm → write."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from dangjian.accounts.models import User
from dangjian.core.errors import DomainError
from dangjian.core.models import BackgroundJob

from .imports import import_check, import_commit

KIND = "members.import"


def job_start(*, upload: Any, acting_user: Any) -> BackgroundJob:
    job = BackgroundJob.objects.create(kind=KIND, created_by=acting_user, filename=getattr(upload, "name", "")[:200])
    job.file.save(f"import-{job.pk}.bin", upload, save=True)
    import_check_job(job.pk)
    return job


def _progress(job_id: int) -> Any:
    def report(rows: int) -> None:
        BackgroundJob.objects.filter(pk=job_id).update(done=rows)

    return report


@db_task()
def import_check_job(job_id: int) -> None:
    job = BackgroundJob.objects.select_related("created_by").get(pk=job_id)
    BackgroundJob.objects.filter(pk=job_id).update(state=BackgroundJob.State.RUNNING)
    try:
        with job.file.open("rb") as fh:
            plan, _kind, _stream = import_check(upload=fh, acting_user=job.created_by, progress=_progress(job_id))
    except DomainError as exc:
        BackgroundJob.objects.filter(pk=job_id).update(
            state=BackgroundJob.State.FAILED, message=exc.message[:300], errors=exc.errors, finished_at=timezone.now()
        )
        return
    BackgroundJob.objects.filter(pk=job_id).update(
        state=BackgroundJob.State.READY,
        done=plan.rows,
        total=plan.rows,
        result={"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged, "sample": plan.sample},
    )


def job_confirm(*, job: BackgroundJob, acting_user: User) -> None:
    if job.state != BackgroundJob.State.READY:
        raise DomainError(_("This import is not waiting for confirmation."))
    BackgroundJob.objects.filter(pk=job.pk).update(state=BackgroundJob.State.RUNNING, message=_("Writing…"))
    import_commit_job(job.pk)


@db_task()
def import_commit_job(job_id: int) -> None:
    job = BackgroundJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with job.file.open("rb") as fh:
            # Checked again: the data may have changed since the preview.
            plan, kind, stream = import_check(upload=fh, acting_user=job.created_by)
            counts = import_commit(
                plan=plan, kind=kind, stream=stream, acting_user=job.created_by, filename=job.filename
            )
    except DomainError as exc:
        BackgroundJob.objects.filter(pk=job_id).update(
            state=BackgroundJob.State.FAILED, message=exc.message[:300], errors=exc.errors, finished_at=timezone.now()
        )
        return
    BackgroundJob.objects.filter(pk=job_id).update(
        state=BackgroundJob.State.DONE, result=counts, message="", finished_at=timezone.now()
    )
