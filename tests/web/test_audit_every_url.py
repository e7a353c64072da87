"""Every URL writes its own audit row, with the request's context, for every role that asks.

The URLs are walked from ``deter.web.urls`` through the accessibility test's cases (which fail
for a URL name with none): each page is fetched as each role it is checked for, each form is
posted empty, and each download and image is fetched. Every request must add a row written
by the view itself (not only the middleware's fallback, ``action="request"``), and every row
of the request must carry the client's address, user agent, session HMAC and the purpose
the URL declares. A new URL whose view writes nothing fails here.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve, reverse

from browser.records import Records, make_records
from browser.test_accessibility import (
    ANONYMOUS,
    CASES,
    FormError,
    NotAPage,
    Page,
    login_for,
    url_names,
)
from deter.web.actions import api_tokens
from deter.web.audit.context import session_token
from deter.web.audit.purposes import PURPOSES
from deter.web.models import AuditEvent

AGENT = "Mozilla/5.0 (audit walk)"
# how to fetch what is not an HTML page: (method, url)
NOT_PAGES = {
    "logout": lambda r: ("post", reverse("logout")),
    "oidc_authentication_init": lambda r: ("get", reverse("oidc_authentication_init")),
    "oidc_authentication_callback": lambda r: (
        "get", reverse("oidc_authentication_callback") + "?code=c&state=s"),
    "sign_out_everywhere": lambda r: ("post", reverse("sign_out_everywhere")),
    "new_recovery_codes": lambda r: ("post", reverse("new_recovery_codes")),
    # posted empty: the begin steps answer a challenge, the others a refusal, each audited
    "passkey_register_begin": lambda r: ("post", reverse("passkey_register_begin")),
    "passkey_register_complete": lambda r: ("post", reverse("passkey_register_complete")),
    "passkey_verify_begin": lambda r: ("post", reverse("passkey_verify_begin")),
    "passkey_verify_complete": lambda r: ("post", reverse("passkey_verify_complete")),
    "passkey_remove": lambda r: ("post", reverse("passkey_remove", args=[0])),
    "chart": lambda r: ("get", reverse("chart", args=["trend"])),
    "letter_docx": lambda r: ("get", reverse("letter_docx", args=[r.letter.pk])),
    "letter_pdf": lambda r: ("get", reverse("letter_pdf", args=[r.letter.pk])),
    "dpo_export_csv": lambda r: ("get", reverse("dpo_export_csv")),
    "challenge_letter": lambda r: ("get", reverse("challenge_letter",
                                                  args=[r.decided_challenge.pk])),
    "subject_access_archive": lambda r: ("get", reverse("subject_access_archive",
                                                        args=[r.sar.pk])),
    "evaluation_export_download": lambda r: (
        "get", reverse("evaluation_export_download", args=[r.world.programme.pk])),
    # the API, called with the coordinator's agency's token (``API``), never a session
    "api_schema": lambda r: ("get", reverse("api_schema")),
    "api_people": lambda r: ("get", reverse("api_people")),
    "api_person": lambda r: ("get", reverse("api_person", args=[r.world.active.pk])),
    "api_person_interventions": lambda r: (
        "post", reverse("api_person_interventions", args=[r.world.active.pk])),
    "api_intervention": lambda r: ("get", reverse("api_intervention", args=[r.support.pk])),
    "api_intervention_updates": lambda r: (
        "post", reverse("api_intervention_updates", args=[r.support.pk])),
    "api_not_found": lambda r: ("get", "/api/v1/nowhere/"),
    "programme_report_pdf": lambda r: ("get", reverse("programme_report_pdf",
                                                      args=[r.world.programme.pk])),
    "programme_evaluation_html": lambda r: ("get", reverse("programme_evaluation_html",
                                                           args=[r.world.programme.pk])),
    "programme_evaluation_pdf": lambda r: ("get", reverse("programme_evaluation_pdf",
                                                          args=[r.world.programme.pk])),
    "admin_agency_logo": lambda r: ("get", reverse("admin_agency_logo",
                                                   args=[r.world.social_care.pk])),
    "admin_user_revoke": lambda r: ("post", reverse("admin_user_revoke", args=[
        r.world.caseworker.pk, r.world.caseworker.staff_roles.get().pk])),
    "admin_user_deactivate": lambda r: ("post", reverse("admin_user_deactivate",
                                                        args=[r.world.partner.pk])),
}
API = "api token"  # the role of a call made with the coordinator's agency's API token


def requests_for(name: str, records: Records):
    """(role, method, url) for every request the case of ``name`` makes."""
    for case in CASES[name]:
        if isinstance(case, Page):
            for role in case.roles:
                yield role, "get", case.build(records)
        elif isinstance(case, FormError):
            yield case.role, "get", case.page(records)
            yield case.role, "post", (case.action or case.page)(records)
        elif isinstance(case, NotAPage):
            yield (API if name.startswith("api_") else "coordinator", *NOT_PAGES[name](records))


def test_every_url_name_declares_a_purpose_and_a_way_to_fetch_it():
    assert sorted(url_names() - set(PURPOSES)) == []
    not_pages = {name for name, cases in CASES.items()
                 if any(isinstance(c, NotAPage) for c in cases)}
    assert sorted(not_pages - set(NOT_PAGES)) == []


@pytest.mark.parametrize("name", sorted(url_names()))
def test_every_request_writes_its_own_audit_row_with_its_context(name, db):
    records = make_records()
    problems = []
    for role, method, url in requests_for(name, records):
        client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR="203.0.113.7")
        if role == API:  # a token, no session: the rows carry none
            issued = api_tokens.issue_token(None, name="Audit walk", agency_name=records.world
                                            .vru.name, role="coordinator")
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
            user, session = issued.token.user, ""
        else:
            user = login_for(records, role)
            if user is not None:
                client.force_login(user)
            session = session_token(client.session.session_key) if user is not None else ""
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = getattr(client, method)(url, **(
            {"content_type": "application/json"} if role == API and method == "post" else {}))
        rows = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
        where = f"{method.upper()} {url} as {role} ({response.status_code})"
        purpose = PURPOSES[resolve(url.split("?")[0]).url_name]
        if not [row for row in rows if row.action != "request"]:
            problems.append(f"{where}: the view wrote no audit row of its own "
                            f"({[row.action for row in rows]})")
        for row in rows:
            context = (row.ip_address, row.user_agent, row.purpose)
            if context != ("203.0.113.7", AGENT, purpose):
                problems.append(f"{where}: row {row.action} has context {context}")
            if user is not None and role != ANONYMOUS and name != "logout" \
                    and row.session != session:
                problems.append(f"{where}: row {row.action} has session {row.session!r}")
            if user is not None and row.actor_id == user.pk and not row.actor_roles:
                problems.append(f"{where}: row {row.action} names none of the actor's roles")
    assert not problems, "\n".join(problems)
