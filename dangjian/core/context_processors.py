"""Navigation and the unread badge for the base layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .scoping import can_admin_users, can_read_audit, user_has_any_org_role


def _items(user: Any) -> list[tuple[str, str, str]]:
    items = [("core:workbench", _("Workbench"), "i-home")]
    if user_has_any_org_role(user):
        items += [("orgs:tree", _("Organisations"), "i-org"), ("orgs:member_list", _("Members"), "i-members")]
    elif getattr(user, "member", None) is not None:
        items += [("orgs:my_record", _("My record"), "i-user")]
    # The same checks as the screens themselves, so the menu never offers a 404 (三员分立).
    if can_read_audit(user):
        items.append(("core:audit_list", _("Audit log"), "i-audit"))
    if can_admin_users(user):
        items.append(("accounts:user_admin", _("Users"), "i-settings"))
    items.append(("notices:inbox", _("Notifications"), "i-bell"))
    items.append(("accounts:profile", _("Me"), "i-user"))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    nav = []
    for name, label, icon in _items(user):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url or (url != "/" and request.path.startswith(url))
        nav.append({"url": url, "label": label, "icon": icon, "active": active})
    from dangjian.notices.selectors import unread_count

    return {"nav_items": nav, "unread_count": unread_count(user)}
