"""Scheduled learning jobs: study time into facts once a day, and the item neighbours of recommendations."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .recommend import neighbours_rebuild
from .studytime import study_time_flush


@db_periodic_task(crontab(hour="0", minute="5"))
def flush_study_time() -> int:
    """Just after midnight: yesterday's credited study time becomes one fact per member and resource."""
    return study_time_flush()


@db_periodic_task(crontab(hour="3", minute="40"))
def rebuild_item_neighbours() -> int:
    return neighbours_rebuild()
