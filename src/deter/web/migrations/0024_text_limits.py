"""Limits on what people type (domain.limits): the card and letter fields hold 2,000 characters."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deter', '0023_decisions_dated_when_made'),
    ]

    operations = [
        migrations.AlterField(
            model_name='cohortdecision',
            name='backdated_reason',
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortdecision',
            name='reason',
            field=models.TextField(max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortentry',
            name='enforcement_consequence',
            field=models.TextField(blank=True, help_text='What happens after further violence', max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortentry',
            name='rationale',
            field=models.TextField(max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortentry',
            name='support_offer',
            field=models.TextField(blank=True, help_text='The help on offer', max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortgroup',
            name='group_response',
            field=models.TextField(blank=True, help_text='The agreed group-wide response when violence involves a member', max_length=2000),
        ),
        migrations.AlterField(
            model_name='cohortgroup',
            name='rationale',
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name='groupmembershipchange',
            name='reason',
            field=models.TextField(max_length=2000),
        ),
        migrations.AlterField(
            model_name='intervention',
            name='outcome',
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name='interventionupdate',
            name='note',
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name='meetingaction',
            name='description',
            field=models.TextField(max_length=2000),
        ),
        migrations.AlterField(
            model_name='orderbreach',
            name='description',
            field=models.TextField(max_length=2000),
        ),
    ]
