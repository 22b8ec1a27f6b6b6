import dangjian.core.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="id_number",
            field=dangjian.core.fields.EncryptedTextField(blank=True, db_default="", default="", verbose_name="ID number"),
        ),
        migrations.AddField(
            model_name="user",
            name="id_number_index",
            field=models.CharField(blank=True, db_default="", db_index=True, default="", editable=False, max_length=32),
        ),
    ]
