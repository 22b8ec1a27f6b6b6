"""Thin factories. Orgs are built through treebeard (add_root/add_child), members through the model's save()."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory

from dangjian.accounts.models import OrgRole, User
from dangjian.orgs.models import Member, Membership, MemberStatus, Org

PASSWORD = "Test@2026!x"
_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


def make_org(name: str, kind: str = Org.Kind.BRANCH, parent: Org | None = None, **fields: Any) -> Org:
    org = Org(name=name, kind=kind, **fields)
    return parent.add_child(instance=org) if parent is not None else Org.add_root(instance=org)


def make_member(
    org: Org, name: str | None = None, status: str = MemberStatus.FULL, user: User | None = None, **fields: Any
) -> Member:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": name or f"张{n}",
        "gender": Member.Gender.MALE,
        "birth_date": dt.date(1985, 1, 1),
        "employee_no": f"E{n:06d}",
    }
    defaults.update(fields)
    member = Member.objects.create(org=org, status=status, user=user, **defaults)
    Membership.objects.create(member=member, org=org, kind=Membership.Kind.PRIMARY, started_on=dt.date(2020, 1, 1))
    return member


def grant(user: User, org: Org, role: str = OrgRole.Role.SECRETARY) -> OrgRole:
    return OrgRole.objects.create(user=user, org=org, role=role)
