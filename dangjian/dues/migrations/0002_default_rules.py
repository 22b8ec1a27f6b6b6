"""Install the rules of 中组发〔2008〕3号 as the first rule version."""

import datetime

from django.db import migrations

from dangjian.dues.rules import DEFAULT_RULES


def install(apps, schema_editor):
    RuleSet = apps.get_model("dues", "DuesRuleSet")
    RuleSet.objects.get_or_create(effective_from=datetime.date(2008, 4, 1), defaults={"name": "中组发〔2008〕3号", "rules": DEFAULT_RULES})


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
