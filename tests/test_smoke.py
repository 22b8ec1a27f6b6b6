"""Every main screen answers for the people who use it."""

import pytest
from django.urls import reverse

from .conftest import login


@pytest.mark.parametrize(
    "who,url_name",
    [
        ("committee", "core:workbench"),
        ("committee", "orgs:tree"),
        ("committee", "orgs:member_list"),
        ("member_a_user", "core:workbench"),
        ("member_a_user", "orgs:my_record"),
        ("auditor", "core:audit_list"),
        ("sysadmin", "accounts:user_admin"),
        ("member_a_user", "accounts:profile"),
        ("member_a_user", "notices:inbox"),
    ],
)
def test_screen_renders(client, cast, who, url_name):
    login(client, getattr(cast, who))
    response = client.get(reverse(url_name))
    assert response.status_code == 200, response.content[:500]
