"""Individuals' rights: the deadlines, and the plain words a listed person is told.

A subject access request is answered within one calendar month of receipt (UK GDPR Art.
12(3)): the same day of the next month, or that month's last day where it has no such day,
so a request received on 31 January is due on 28 February (29 in a leap year). It may be
extended by up to two further months where the request is complex, with a reason. A
challenge to a listing is decided within ``DETER_CHALLENGE_DAYS`` days (28 by default).
"""

from datetime import date, timedelta

from django.conf import settings

from .retention import add_months

SAR_MONTHS = 1
MAX_EXTENSION_MONTHS = 2


def sar_deadline(received: date) -> date:
    return add_months(received, SAR_MONTHS)


def latest_extension(received: date) -> date:
    """The furthest an extension may move the deadline: three months from receipt."""
    return add_months(received, SAR_MONTHS + MAX_EXTENSION_MONTHS)


def challenge_days() -> int:
    return settings.DETER_CHALLENGE_DAYS


def challenge_due(received: date) -> date:
    return received + timedelta(days=challenge_days())


EXEMPTION_HINT = ("For example: telling them now would be likely to prejudice the prevention "
                  "or detection of crime (Data Protection Act 2018, Schedule 2, paragraph 2)")

NOTIFICATION_NAME = "Notification: you are in the programme"
NOTIFICATION_BODY = """Dear $recipient,

We are writing to tell you that you are part of $programme in $area.

Why: the partners in the programme (the police, the council, health, schools and others who \
work together in $area) think you may be at risk of being hurt, or of being drawn into \
serious violence. Being in the programme is not a criminal record, and it is not a punishment.

What we offer: $support_offer. Your lead professional, $lead_professional \
($lead_professional_job_title), will talk with you about it: you can reach them on \
$lead_professional_contact. You do not have to accept help, but we hope you will.

Your rights:
- You can ask for a copy of the information we hold about you (a subject access request). \
We will answer within one month.
- You can challenge being in the programme. Tell your lead professional, or write to us. \
Someone who did not make the first decision will look at it again and tell you the outcome \
and the reasons.
- You can ask us to correct anything that is wrong.
- You can complain to us. If you are not happy with our answer you can complain to the \
Information Commissioner's Office (ICO): ico.org.uk, 0303 123 1113.

If you are under 18, a parent or carer can help you with any of this.

Yours sincerely,

$sender
$sender_job_title
$programme"""
