"""The workbench (工作台): each app registers a provider of to-dos and deadlines for a user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WorkItem:
    title: str
    url: str = ""
    due: dt.date | None = None
    level: str = "info"  # "high" shows red
    module: str = ""


@dataclass
class WorkbenchSection:
    todos: list[WorkItem] = field(default_factory=list)
    deadlines: list[WorkItem] = field(default_factory=list)
    stats: list[tuple[str, Any, str]] = field(default_factory=list)  # (label, value, url)


Provider = Callable[[Any, WorkbenchSection], None]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def collect(user: Any) -> WorkbenchSection:
    section = WorkbenchSection()
    for provider in _providers:
        provider(user, section)
    section.deadlines.sort(key=lambda w: w.due or dt.date.max)
    return section
