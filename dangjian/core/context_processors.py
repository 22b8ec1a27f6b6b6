"""Navigation and the unread badge for the base layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .scoping import can_admin_users, can_read_audit, user_has_any_org_role


def _items(user: Any) -> list[tuple[str, str, str]]:
    """Menu entries in priority order: the first five are the phone's bottom tabs."""
    governs = user_has_any_org_role(user)
    is_member = getattr(user, "member", None) is not None
    items = [("core:workbench", _("Workbench"), "i-home")]
    if governs:
        items.append(("orgs:member_list", _("Members"), "i-members"))
        items.append(("orgs:pipeline", _("Development"), "i-task"))
    if governs or is_member:
        items.append(("meetings:list", _("Meetings"), "i-calendar"))
        items.append(("dues:branch" if governs else "dues:mine", _("Dues"), "i-money"))
        items.append(("learning:home", _("Learning"), "i-book"))
        items.append(("exams:list", _("Exams"), "i-book"))
    if governs:
        items.append(("orgs:tree", _("Organisations"), "i-org"))
    elif is_member:
        items.append(("orgs:my_record", _("My record"), "i-user"))
    # The same checks as the screens themselves, so the menu never offers a 404 (三员分立).
    if can_read_audit(user):
        items.append(("core:audit_list", _("Audit log"), "i-audit"))
    if can_admin_users(user):
        items.append(("accounts:user_admin", _("Users"), "i-settings"))
    items.append(("notices:inbox", _("Notifications"), "i-bell"))
    if governs and is_member:
        items.append(("dues:mine", _("My dues"), "i-money"))
    if is_member:
        items.append(("points:mine", _("Points"), "i-task"))
    items.append(("accounts:profile", _("Me"), "i-user"))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    nav: list[dict[str, Any]] = []
    for name, label, icon in _items(user):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        nav.append({"url": url, "label": label, "icon": icon, "active": False})
    # The entry whose address is the longest prefix of this page is the active one.
    matches = [
        item
        for item in nav
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    from dangjian.notices.selectors import unread_count

    return {"nav_items": nav, "unread_count": unread_count(user)}
