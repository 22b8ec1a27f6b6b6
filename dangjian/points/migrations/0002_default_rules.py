"""Default points rules (DOMAIN.md: weights configurable, a daily cap per kind as popular study apps do) and the
conversion's high-water mark."""

from decimal import Decimal

from django.db import migrations

# kind, name, points per unit, unit size, daily cap
DEFAULT_RULES = [
    ("meeting.attended", "参加组织生活", "5", "1", "10"),
    ("meeting.lecture_given", "讲党课", "10", "1", None),
    ("dues.paid_on_time", "按时交纳党费", "5", "1", "5"),
    ("learning.study_seconds", "学习时长（每10分钟）", "1", "600", "6"),
    ("learning.completed", "完成学习内容", "2", "1", "12"),
    ("exams.passed", "考试合格", "5", "1", "10"),
    ("exams.challenge_correct", "挑战答题（每答对1题）", "1", "1", "5"),
    ("tasks.done", "完成任务", "3", "1", "9"),
    ("activities.volunteer_hours", "志愿服务（每小时）", "2", "1", "8"),
]


def add_defaults(apps, schema_editor):
    Rule = apps.get_model("points", "PointsRule")
    Cursor = apps.get_model("points", "PointsCursor")
    for kind, name, per_unit, unit, cap in DEFAULT_RULES:
        Rule.objects.get_or_create(kind=kind, defaults={
            "name": name, "points_per_unit": Decimal(per_unit), "unit_size": Decimal(unit), "daily_cap": Decimal(cap) if cap else None})
    Cursor.objects.get_or_create(name="facts")


def remove_defaults(apps, schema_editor):
    apps.get_model("points", "PointsRule").objects.filter(kind__in=[r[0] for r in DEFAULT_RULES]).delete()
    apps.get_model("points", "PointsCursor").objects.filter(name="facts").delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
