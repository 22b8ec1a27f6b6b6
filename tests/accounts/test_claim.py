"""Claiming an imported account: name and ID number must match the roster, then a password; never a sign-up."""

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.accounts.models import User
from dangjian.core.models import AuditEvent
from dangjian.orgs.imports import members_import

ROW = "工号,姓名,性别,出生日期,身份证号,所在党组织,政治面貌\nE200001,孙悟,男,1990-03-15,110105199003150017,甲公司第一党支部,中共党员\n"


def _import(cast):
    members_import(upload=SimpleUploadedFile("r.csv", ROW.encode()), acting_user=cast.secretary_a)
    cache.clear()


def test_claim_with_matching_name_and_id_then_password(client, cast):
    _import(cast)
    start = client.post("/accounts/claim/", {"name": "孙悟", "id_number": "110105199003150017"})
    assert start.status_code == 302 and start["Location"].endswith("/accounts/claim/password/")
    weak = client.post("/accounts/claim/password/", {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 400
    done = client.post("/accounts/claim/password/", {"password1": "Sun#Wu2026", "password2": "Sun#Wu2026"})
    assert done.status_code == 302
    user = User.objects.get(employee_no="E200001")
    assert user.check_password("Sun#Wu2026") and not user.must_change_password
    assert client.get("/").status_code == 200  # logged in, no forced step left
    assert AuditEvent.objects.filter(action="auth.claim", outcome="success").exists()


def test_claim_refused_when_name_and_id_do_not_match(client, cast):
    _import(cast)
    wrong_name = client.post("/accounts/claim/", {"name": "孙悟空", "id_number": "110105199003150017"})
    wrong_id = client.post("/accounts/claim/", {"name": "孙悟", "id_number": "11010519491231002X"})
    assert wrong_name.status_code == 400 and wrong_id.status_code == 400
    assert client.get("/accounts/claim/password/").status_code == 302  # no claim in the session
    assert not User.objects.get(employee_no="E200001").has_usable_password()


def test_a_claimed_account_cannot_be_claimed_again(client, cast):
    _import(cast)
    user = User.objects.get(employee_no="E200001")
    user.set_password("Sun#Wu2026")
    user.save()
    response = client.post("/accounts/claim/", {"name": "孙悟", "id_number": "110105199003150017"})
    assert response.status_code == 400
    assert "claim_user" not in client.session


def test_claim_attempts_are_limited(client, cast):
    _import(cast)
    for _ in range(10):
        client.post("/accounts/claim/", {"name": "x", "id_number": "110105199003150017"})
    blocked = client.post("/accounts/claim/", {"name": "孙悟", "id_number": "110105199003150017"})
    assert blocked.status_code == 400 and "claim_user" not in client.session
    cache.clear()
