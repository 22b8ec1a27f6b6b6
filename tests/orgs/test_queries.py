"""Lists run a constant number of queries whatever the row count (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.orgs.models import Org

from ..conftest import login
from ..factories import make_org
from .conftest import bulk_members

# Bounds with a little room for the session, the user and the layout; the equality tests pin the rest.
WEB_LIST_MAX = 12
API_LIST_MAX = 6
API_TREE_MAX = 6


def _populate(cast, n):
    """``n`` members spread over ``n // 5`` extra branches (and so ``n // 5`` more orgs in the tree)."""
    for i in range(max(1, n // 5)):
        branch = make_org(f"支部{i}", Org.Kind.BRANCH, parent=cast.company_a if i % 2 else cast.company_b)
        bulk_members(branch, 5)


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [5, 40])
def test_the_member_list_page_runs_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries, n):
    _populate(cast, n)
    login(client, cast.committee)
    client.get(reverse("orgs:member_list"))  # the session's first request records its activity once
    with django_assert_max_num_queries(WEB_LIST_MAX):
        response = client.get(reverse("orgs:member_list"))
    assert len(response.context["page_obj"]) == n + 2


@pytest.mark.parametrize("n", [5, 40])
def test_the_member_list_api_runs_a_bounded_number_of_queries(cast, api_as, django_assert_max_num_queries, n):
    _populate(cast, n)
    api = api_as(cast.committee)
    api.get("/members")  # the token's first use records last_used_at once
    with django_assert_max_num_queries(API_LIST_MAX):
        response = api.get("/members", {"page_size": 200})
    assert response.json()["count"] == len(response.json()["items"]) == n + 2


@pytest.mark.parametrize("n", [5, 40])
def test_the_tree_api_runs_a_bounded_number_of_queries(cast, api_as, django_assert_max_num_queries, n):
    _populate(cast, n)
    api = api_as(cast.committee)
    api.get("/orgs/tree")
    with django_assert_max_num_queries(API_TREE_MAX):
        response = api.get("/orgs/tree")
    assert len(response.json()) == 6 + max(1, n // 5)


def test_the_query_counts_do_not_grow_with_the_rows(client, cast, api_as):
    login(client, cast.committee)
    api = api_as(cast.committee)
    api.get("/members")
    client.get(reverse("orgs:member_list"))
    calls = [
        lambda: client.get(reverse("orgs:member_list")),
        lambda: client.get(reverse("orgs:member_list"), {"q": "cy", "status": "full"}),
        lambda: api.get("/members", {"page_size": 200}),
        lambda: api.get("/orgs/tree"),
        lambda: client.get(reverse("orgs:tree")),
        lambda: client.get(reverse("orgs:org_detail", args=[cast.company_a.pk])),
    ]
    _populate(cast, 5)
    small = [_count(c) for c in calls]
    _populate(cast, 40)
    large = [_count(c) for c in calls]
    assert small == large
