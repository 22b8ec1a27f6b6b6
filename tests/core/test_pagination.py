"""The capped count of the member list screen."""

from dangjian.core.pagination import CappedPaginator
from dangjian.orgs.models import Member

from ..conftest import login
from ..factories import make_member


def test_count_is_exact_up_to_the_cap_and_flags_beyond(cast):
    for i in range(4):
        make_member(cast.branch_a, name=f"党员{i}")
    exact = CappedPaginator(Member.objects.order_by("id"), 2, cap=10)
    capped = CappedPaginator(Member.objects.order_by("id"), 2, cap=3)
    assert (exact.count, exact.count_capped) == (6, False)
    assert (capped.count, capped.count_capped, capped.num_pages) == (4, True, 2)


def test_member_list_says_more_than_the_cap(client, cast, monkeypatch):
    monkeypatch.setattr("dangjian.core.pagination.COUNT_CAP", 1)
    monkeypatch.setattr(CappedPaginator.__init__, "__defaults__", (1,))
    login(client, cast.committee)
    response = client.get("/orgs/members/")
    assert response.context["page_obj"].paginator.count_capped is True  # two members, cap of one
    assert (
        "More than 1" in response.content.decode()
        or "超过1" in response.content.decode()
        or "超过 1" in response.content.decode()
    )
