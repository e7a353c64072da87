"""Every page of Deter, as every role sees it, checked with axe-core for WCAG 2.2 AA.

The pages are enumerated from ``deter.web.urls``: each URL name maps to how to build its URL
(``Page``), to the page holding its form and how to submit that form empty (``FormError``), or
to why it is not an HTML page (``NotAPage``).  A new URL with no entry here fails
``test_every_url_name_has_an_accessibility_case``, so no page escapes the check.

axe-core comes from npm (``node_modules/axe-core``, a devDependency installed by ``npm ci``) and
is injected into each page with Playwright; the pages themselves never load it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from deter.web.models import CohortEntry, CohortGroup

from .records import Records, make_records, sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = ("analyst", "coordinator", "caseworker", "partner", "stranger", "dpo")
ANONYMOUS = "anonymous"
EVALUATOR = "evaluator"  # sees only the evaluation page: checked there, not on every page
ADMINISTRATOR = "administrator"  # sees only the administration pages: checked there
ADMIN_AND_OTHERS = (*ROLES, ADMINISTRATOR)  # the administrator sees the page, the rest a 404
DRUG_WORKER = "drug_worker"  # the treatment provider's, in the drug-market programme only


# --- how to reach every URL name -------------------------------------------------------------

Build = Callable[[Records], str]


@dataclass(frozen=True)
class Page:
    """A page fetched with GET, as each of ``roles``."""

    build: Build
    roles: tuple[str, ...] = ROLES


@dataclass(frozen=True)
class FormError:
    """A form submitted empty by ``role``: ``page`` holds it, ``action`` is where it posts
    (``None``: the page's own main form, which posts back to the page)."""

    page: Build
    action: Build | None = None
    role: str = "coordinator"
    # the status of the page with the error summary; None where an empty form is valid
    error_status: int | None = 400


@dataclass(frozen=True)
class NotAPage:
    reason: str


def url(name: str, *args: Callable[[Records], object]) -> Build:
    return lambda r: reverse(name, args=[arg(r) for arg in args])


def programme(r: Records) -> int:
    return r.world.programme.pk


def group(r: Records) -> int:
    return r.group.pk


def person(r: Records) -> int:
    return r.world.active.pk


def entry(r: Records) -> int:
    return r.entry.pk


def meeting(r: Records) -> int:
    return r.panel.pk


PERSON = url("person", person)
GROUP_PLAN = url("group_plan", programme, group)
ENTRY_PLAN = url("entry_plan", entry)
MEETING = url("meeting", meeting)
PANEL_PERSON = url("panel_decide_person", programme,
                   lambda r: CohortEntry.objects.get(person=r.world.proposed).pk)
PANEL_GROUP = url("panel_decide_group", programme,
                  lambda r: CohortGroup.objects.get(label="G2").pk)
INTERVENTION = url("intervention", lambda r: r.order.pk)
TREATMENT = url("entry_treatment", lambda r: r.adder.entry.pk)

CASES: dict[str, list[Page | FormError | NotAPage]] = {
    "home": [Page(lambda r: "/")],
    "login": [Page(url("login"), roles=(ANONYMOUS,)),
              FormError(url("login"), url("login"), role=ANONYMOUS)],
    "logout": [NotAPage("a POST that signs out and redirects to the sign-in page ('login')")],
    "oidc_authentication_init": [NotAPage(
        "a redirect to the single sign-on provider; its refusals are the sign-in page "
        "(tests/web/oidc/test_sso.py)")],
    "oidc_authentication_callback": [NotAPage(
        "the provider's redirect back, answered with a redirect or the sign-in page "
        "(tests/web/oidc/test_sso.py)")],
    "two_factor_verify": [Page(url("two_factor_verify"), roles=("coordinator",))],
    "account": [Page(url("account"))],
    "password_change": [Page(url("password_change"), roles=("coordinator", "partner")),
                        FormError(url("password_change"))],
    "sign_out_everywhere": [NotAPage("a POST that ends all the user's sessions and redirects "
                                     "to the sign-in page ('account' holds its button)")],
    "two_factor_setup": [Page(url("two_factor_setup"), roles=("coordinator", "partner")),
                         FormError(url("two_factor_setup"))],
    "new_recovery_codes": [NotAPage("a POST showing new recovery codes once ('account' holds "
                                    "its button for a user with an authenticator)")],
    **dict.fromkeys(("passkey_register_begin", "passkey_register_complete",
                     "passkey_verify_begin", "passkey_verify_complete"), [NotAPage(
        "a JSON endpoint of the passkey ceremonies, called by django-otp-webauthn's script on "
        "'account', 'two_factor_setup' and 'two_factor_verify' (tests/browser/"
        "test_passkey_journey.py)")]),
    "passkey_remove": [NotAPage("a POST removing one of the user's passkeys and redirecting to "
                                "'account', which holds its button")],
    "cohort": [Page(url("cohort"))],
    "profile": [Page(url("profile"))],
    "chart": [NotAPage("an SVG image drawn for the problem profile ('profile')")],
    "group": [Page(lambda r: reverse("group", args=["G1"]))],
    "person": [Page(PERSON), Page(lambda r: PERSON(r) + "?show=interventions"),
               Page(lambda r: PERSON(r) + "?show=unknown", roles=("coordinator",))],
    "add_intervention": [FormError(PERSON, url("add_intervention", person)),
                         FormError(PERSON, url("add_intervention", person), role="partner")],
    "programme_new": [Page(url("programme_new")), FormError(url("programme_new"))],
    "programme_edit": [Page(url("programme_edit", programme)),
                       FormError(url("programme_edit", programme))],
    "programmes": [Page(url("programmes"))],
    "programme": [Page(url("programme", programme))],
    "bring_proposals": [FormError(url("programme", programme),
                                  url("bring_proposals", programme), error_status=None)],
    "panel": [Page(url("panel", programme))],
    "panel_bulk_decide": [FormError(url("panel", programme), url("panel_bulk_decide", programme))],
    "panel_propose_person": [Page(url("panel_propose_person", programme)),
                             FormError(lambda r: url("panel_propose_person", programme)(r)
                                       + f"?person_id={r.world.unlisted.person_id}",
                                       url("panel_propose_person", programme))],
    "panel_propose_group": [Page(url("panel_propose_group", programme)),
                            FormError(url("panel_propose_group", programme),
                                      url("panel_propose_group", programme))],
    "group_members": [FormError(GROUP_PLAN, url("group_members", programme, group))],
    "operation_outcome": [FormError(INTERVENTION, url("operation_outcome",
                                                      lambda r: r.order.pk))],
    "intervention_premises": [FormError(INTERVENTION, url("intervention_premises",
                                                          lambda r: r.order.pk))],
    "intervention_schedule": [FormError(INTERVENTION, url("intervention_schedule",
                                                          lambda r: r.order.pk))],
    "occurrence_outcome": [FormError(url("intervention", lambda r: r.support.pk),
                                     url("occurrence_outcome", lambda r: r.support.pk,
                                         lambda r: r.occurrence.pk))],
    "programme_premises": [Page(url("programme_premises", programme)),
                           FormError(url("programme_premises", programme))],
    "person_movement": [Page(url("person_movement", person)),
                        FormError(url("person_movement", person))],
    "programme_report": [Page(url("programme_report", programme))],
    "programme_report_pdf": [NotAPage("the programme report as a PDF ('programme_report' "
                                      "links to it)")],
    "programme_runs": [Page(url("programme_runs", programme), roles=("analyst", "coordinator")),
                       FormError(url("programme_runs", programme))],
    "panel_decide_person": [Page(PANEL_PERSON, roles=("coordinator",)),
                            FormError(PANEL_PERSON, PANEL_PERSON)],
    "panel_decide_group": [Page(PANEL_GROUP, roles=("coordinator",)),
                           FormError(PANEL_GROUP, PANEL_GROUP)],
    "group_plan": [Page(GROUP_PLAN)],
    "group_decision": [FormError(GROUP_PLAN, url("group_decision", programme, group))],
    "group_plan_update": [FormError(GROUP_PLAN, url("group_plan_update", programme, group))],
    "entry_plan": [Page(ENTRY_PLAN)],
    "entry_decision": [FormError(ENTRY_PLAN, url("entry_decision", entry))],
    "entry_plan_update": [FormError(ENTRY_PLAN, url("entry_plan_update", entry)),
                          # the lead professional edits the plan too
                          FormError(ENTRY_PLAN, url("entry_plan_update", entry),
                                    role="caseworker")],
    "meetings": [Page(url("meetings"))],
    "meeting_new": [Page(url("meeting_new")), FormError(url("meeting_new"))],
    "meeting": [Page(MEETING), Page(url("meeting", lambda r: r.call_in.pk))],
    "meeting_edit": [Page(url("meeting_edit", meeting)),
                     FormError(url("meeting_edit", meeting))],
    "meeting_agenda": [FormError(MEETING, url("meeting_agenda", meeting),
                                 error_status=None)],
    "meeting_notes": [FormError(MEETING, url("meeting_notes", meeting), error_status=None)],
    "meeting_add_action": [FormError(MEETING, url("meeting_add_action", meeting))],
    "meeting_invite": [FormError(url("meeting", lambda r: r.call_in.pk),
                                 url("meeting_invite", lambda r: r.call_in.pk))],
    "invitation_attendance": [FormError(
        url("meeting", lambda r: r.call_in.pk),
        url("invitation_attendance", lambda r: r.call_in.pk, lambda r: r.invitation.pk),
        error_status=None)],
    "my_actions": [Page(url("my_actions"))],
    "overdue_actions": [Page(url("overdue_actions"))],
    "action_status": [FormError(url("my_actions"), url("action_status", lambda r: r.action.pk),
                                role="caseworker", error_status=None)],
    "intervention": [Page(INTERVENTION), Page(url("intervention", lambda r: r.support.pk))],
    "intervention_update": [FormError(INTERVENTION, url("intervention_update",
                                                        lambda r: r.order.pk))],
    "intervention_breach": [FormError(INTERVENTION, url("intervention_breach",
                                                        lambda r: r.order.pk))],
    "programme_delivery": [Page(url("programme_delivery", programme))],
    "letter_templates": [Page(url("letter_templates", programme))],
    "letter_template_new": [Page(url("letter_template_new", programme)),
                            FormError(url("letter_template_new", programme))],
    "letter_template_edit": [
        Page(url("letter_template_edit", programme, lambda r: r.template.pk)),
        FormError(url("letter_template_edit", programme, lambda r: r.template.pk)),
    ],
    "letter_new": [Page(url("letter_new", programme, person)),
                   FormError(url("letter_new", programme, person))],
    "group_intervention_add": [FormError(GROUP_PLAN,
                                         url("group_intervention_add", programme, group))],
    "letter_docx": [NotAPage("a Word document download of a letter")],
    "letter_pdf": [NotAPage("a PDF download of a letter")],
    "flag_respond": [FormError(GROUP_PLAN, url("flag_respond", lambda r: r.flag.pk))],
    "scoring": [Page(url("scoring"))],
    "programme_scoring": [Page(url("programme_scoring", programme))],
    "public_scoring": [Page(url("public_scoring", programme), roles=(*ROLES, ANONYMOUS))],
    "publish_scoring": [FormError(url("programme_edit", programme),
                                  url("publish_scoring", programme), error_status=None)],
    "programme_fairness": [Page(url("programme_fairness", programme))],
    "retention": [Page(url("retention"))],
    "jobs": [Page(url("jobs")), FormError(url("jobs"), role="analyst")],
    "job": [Page(url("job", lambda r: r.failed_job.pk))],
    "job_analyse": [FormError(url("jobs"), url("job_analyse"), role="analyst",
                              error_status=None)],
    "job_retry": [FormError(url("job", lambda r: r.failed_job.pk),
                            url("job_retry", lambda r: r.failed_job.pk), role="analyst",
                            error_status=None)],
    "evaluation_exports": [Page(url("evaluation_exports"), roles=(*ROLES, EVALUATOR))],
    "evaluation_export_download": [NotAPage("a zip of the evaluation export's files")],
    "programme_evaluation": [
        Page(url("programme_evaluation", programme), roles=("coordinator", EVALUATOR)),
        Page(lambda r: url("programme_evaluation", programme)(r) + "?design=matched",
             roles=(EVALUATOR,))],
    "programme_evaluation_html": [NotAPage("the evaluation report as one HTML file "
                                           "('programme_evaluation' links to it)")],
    "programme_evaluation_pdf": [NotAPage("the evaluation report as a PDF "
                                          "('programme_evaluation' links to it)")],
    "deletion_confirmations": [Page(url("deletion_confirmations"))],
    "agreements": [Page(url("agreements", programme))],
    "agreement": [Page(url("agreement", lambda r: r.awaiting.pk)),
                  Page(url("agreement", lambda r: r.revoked.pk), roles=("dpo", "coordinator")),
                  Page(url("agreement", lambda r: r.draft.pk), roles=("coordinator",))],
    "agreement_new": [Page(url("agreement_new", programme)),
                      FormError(url("agreement_new", programme))],
    # the draft lacks its DPIA: the error summary lists what is missing
    "agreement_submit": [FormError(url("agreement", lambda r: r.draft.pk),
                                   url("agreement_submit", lambda r: r.draft.pk))],
    "agreement_approve": [FormError(url("agreement", lambda r: r.awaiting.pk),
                                    url("agreement_approve", lambda r: r.awaiting.pk),
                                    role="dpo", error_status=None)],
    "agreement_revoke": [FormError(url("agreement", lambda r: r.world.programme.agreements
                                       .get(version=1).pk),
                                   url("agreement_revoke", lambda r: r.world.programme
                                       .agreements.get(version=1).pk), role="dpo")],
    "programme_links": [Page(url("programme_links", programme)),
                        FormError(url("programme_links", programme))],
    "end_link": [FormError(url("programme_links", programme),
                           url("end_link", lambda r: r.link.pk), error_status=None)],
    "dpo": [Page(url("dpo"))],
    "dpo_person_views": [Page(url("dpo_person_views")),
                         Page(lambda r: reverse("dpo_person_views") + "?person_id=P-ACTIVE",
                              roles=("dpo",)),
                         Page(lambda r: reverse("dpo_person_views") + "?person_id=P-NOBODY",
                              roles=("dpo",))],
    "dpo_user_activity": [Page(url("dpo_user_activity")),
                          Page(lambda r: reverse("dpo_user_activity") + "?username=caseworker",
                               roles=("dpo",)),
                          Page(lambda r: reverse("dpo_user_activity") + "?username=",
                               roles=("dpo",))],
    "dpo_flags": [Page(url("dpo_flags")),
                  Page(lambda r: reverse("dpo_flags") + "?end_day=99", roles=("dpo",))],
    "dpo_export": [Page(url("dpo_export"))],
    "dpo_export_csv": [NotAPage("a CSV download of the audit log ('dpo_export' holds its "
                                "form)")],
    "confirm_deletion": [FormError(url("deletion_confirmations"),
                                   url("confirm_deletion", lambda r: r.deletion.pk),
                                   role="partner", error_status=None)],
    "programme_rights": [Page(url("programme_rights", programme))],
    "notification_new": [Page(url("notification_new", entry)),
                         FormError(url("notification_new", entry))],
    "challenge_new": [Page(url("challenge_new", entry)), FormError(url("challenge_new", entry))],
    "challenge": [Page(url("challenge", lambda r: r.challenge.pk)),
                  Page(url("challenge", lambda r: r.decided_challenge.pk)),
                  # the coordinator accepted the person: the DPO decides
                  FormError(url("challenge", lambda r: r.challenge.pk), role="dpo")],
    "challenge_letter": [NotAPage("a PDF letter giving a challenge's outcome and reasons")],
    "subject_access": [Page(url("subject_access")), FormError(url("subject_access"), role="dpo")],
    "subject_access_request": [Page(url("subject_access_request", lambda r: r.sar.pk))],
    "subject_access_extend": [FormError(url("subject_access_request", lambda r: r.sar.pk),
                                        url("subject_access_extend", lambda r: r.sar.pk),
                                        role="dpo")],
    "subject_access_answer": [FormError(url("subject_access_request", lambda r: r.sar.pk),
                                        url("subject_access_answer", lambda r: r.sar.pk),
                                        role="dpo", error_status=None)],
    "subject_access_archive": [NotAPage("a zip download: the subject access archive")],
    # the HTTP API for partner systems answers JSON to a token (tests/web/test_api*.py)
    **{name: [NotAPage("JSON from the HTTP API for partner systems (docs/api.md)")]
       for name in ("api_schema", "api_people", "api_person", "api_person_interventions",
                    "api_intervention", "api_intervention_updates", "api_not_found")},
    # issue 16: the drug-market pathway, in the drug-market programme beside the world's
    "programme_adder": [Page(url("programme_adder", lambda r: r.adder.programme.pk)),
                        Page(url("programme_adder", lambda r: r.adder.programme.pk),
                             roles=(DRUG_WORKER,)),
                        Page(lambda r: reverse("programme_adder", args=[r.adder.programme.pk])
                             + "?month=soon", roles=("coordinator",))],
    "entry_treatment": [Page(TREATMENT), Page(TREATMENT, roles=(DRUG_WORKER,)),
                        FormError(TREATMENT, TREATMENT, role=DRUG_WORKER)],
    "entry_harm_reduction": [FormError(TREATMENT, url("entry_harm_reduction",
                                                      lambda r: r.adder.entry.pk),
                                       role=DRUG_WORKER)],
    "treatment_step": [FormError(TREATMENT, url("treatment_step", lambda r: r.referral.pk,
                                                lambda r: "exit"), role=DRUG_WORKER)],
    "admin_agencies": [Page(url("admin_agencies"), roles=ADMIN_AND_OTHERS)],
    "admin_agency_new": [Page(url("admin_agency_new"), roles=(ADMINISTRATOR, "coordinator")),
                         FormError(url("admin_agency_new"), role=ADMINISTRATOR)],
    "admin_agency": [Page(url("admin_agency", lambda r: r.world.social_care.pk),
                          roles=(ADMINISTRATOR, "coordinator")),
                     FormError(url("admin_agency", lambda r: r.world.social_care.pk),
                               role=ADMINISTRATOR)],
    "admin_agency_logo": [NotAPage("the agency's logo, a PNG shown on its page "
                                   "('admin_agency')")],
    "admin_users": [Page(url("admin_users"), roles=ADMIN_AND_OTHERS)],
    "admin_user_new": [Page(url("admin_user_new"), roles=(ADMINISTRATOR, "coordinator")),
                       FormError(url("admin_user_new"), role=ADMINISTRATOR)],
    "admin_user": [Page(url("admin_user", lambda r: r.world.caseworker.pk),
                        roles=(ADMINISTRATOR, "coordinator")),
                   FormError(url("admin_user", lambda r: r.world.caseworker.pk),
                             url("admin_user", lambda r: r.world.caseworker.pk),
                             role=ADMINISTRATOR)],
    "admin_user_grant": [FormError(url("admin_user", lambda r: r.world.caseworker.pk),
                                   url("admin_user_grant", lambda r: r.world.caseworker.pk),
                                   role=ADMINISTRATOR)],
    "admin_user_revoke": [NotAPage("a POST taking a role away, back to the user's page "
                                   "('admin_user' holds its buttons)")],
    "admin_user_deactivate": [NotAPage("a POST deactivating an account, back to the user's "
                                       "page ('admin_user' holds its button)")],
}


def url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_url_name_has_an_accessibility_case():
    unmapped = sorted(url_names() - set(CASES))
    assert not unmapped, (
        f"URL names with no accessibility case in {Path(__file__).name}: {unmapped}; "
        "add a Page, FormError or NotAPage for each")
    gone = sorted(set(CASES) - url_names())
    assert not gone, f"cases for URL names that no longer exist: {gone}"


# --- running axe -----------------------------------------------------------------------------


@dataclass
class Findings:
    checked: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(self.violations + self.problems)


def axe_source() -> str:
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE.read_text(encoding="utf-8")
    return _axe_source


_axe_source: str | None = None


def axe_violations(page) -> list[dict]:
    # Not page.add_script_tag: it inserts an inline <script>, which Deter's CSP rightly
    # refuses. Evaluating through the DevTools protocol leaves the page's CSP in force, so a
    # page's own CSP violations are still caught.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({
                    target: n.target.join(' '), summary: n.failureSummary,
                })),
                more: Math.max(0, v.nodes.length - 5),
            }));
        }""",
        WCAG_22_AA,
    )


def readable(where: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {summary}")
        if v["more"]:
            lines.append(f"    ...and {v['more']} more")
    return lines


# A page refused on purpose (403) logs this console error, like the 400s and 404s the page
# fixture already expects; a refused sub-resource is still caught by the fixture's response
# listener ("403 http://...").
REFUSED_DOCUMENT = re.compile(r"^Failed to load resource: .* status of 403")


# WCAG 1.4.10 at 320 CSS pixels: the page itself must not scroll sideways. Wide content
# scrolls inside its own region (.deter-table-scroll); the culprits named are the innermost
# elements reaching past the viewport outside such a region.
SIDEWAYS_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth <= width) return null;
    const over = (el) => el.getBoundingClientRect().right > width + 1
        && !el.parentElement.closest('.deter-table-scroll');
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + [...el.classList].map(c => '.' + c).join('');
    const culprits = [...document.querySelectorAll('body *')]
        .filter(el => over(el) && ![...el.children].some(over))
        .slice(0, 5)
        .map(el => `${name(el)} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
    return `the page is ${scrollWidth}px wide at ${width}px: ${culprits.join(', ')}`;
}"""


def check(page, findings: Findings, where: str, reflow: bool = False) -> None:
    findings.checked.append(where)
    findings.violations += readable(where, axe_violations(page))
    if reflow and (overflow := page.evaluate(SIDEWAYS_OVERFLOW)):
        findings.violations.append(f"{where}: [serious] reflow (WCAG 1.4.10): {overflow}")
    problems = [p for p in page.problems if not REFUSED_DOCUMENT.search(p)]
    findings.problems += [f"{where}: {problem}" for problem in problems]
    page.problems.clear()


def fail_on(findings: Findings) -> None:
    assert findings.checked
    assert not findings.violations and not findings.problems, (
        f"{len(findings.violations)} lines of WCAG 2.2 AA violations and "
        f"{len(findings.problems)} page problems in {len(findings.checked)} pages:\n"
        + findings.report())


@pytest.fixture
def records(db) -> Records:
    return make_records()


def login_for(records: Records, role: str):
    if role == ANONYMOUS:
        return None
    if role in ("dpo", EVALUATOR, ADMINISTRATOR, DRUG_WORKER):
        return getattr(records, role)
    return getattr(records.world, role)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS, EVALUATOR, ADMINISTRATOR, DRUG_WORKER])
def test_every_page_meets_wcag_22_aa(page, live_server, records, role):
    check_every_page(page, live_server, records, role)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_meets_wcag_22_aa_on_a_phone(page, live_server, records):
    """Target sizes, scrolling regions and the collapsed navigation at 320 CSS pixels (WCAG
    1.4.10 reflow width), and no page scrolling sideways, as the coordinator, who sees the most
    pages."""
    page.set_viewport_size({"width": 320, "height": 640})
    check_every_page(page, live_server, records, "coordinator", reflow=True)


def check_every_page(page, live_server, records: Records, role: str,
                     reflow: bool = False) -> None:
    if role != ANONYMOUS:
        sign_in(page.context, live_server, login_for(records, role))
    findings = Findings()
    error_pages_seen: set[int] = set()
    for name, cases in sorted(CASES.items()):
        for case in cases:
            if not isinstance(case, Page) or role not in case.roles:
                continue
            path = case.build(records)
            response = page.goto(path)
            status = response.status if response else 0
            if status >= 400 and status != 400:
                if status in error_pages_seen:
                    continue  # the same error page: checked once per role
                error_pages_seen.add(status)
            check(page, findings, f"{role} {path} ({name}, {status})", reflow=reflow)
    fail_on(findings)


FORM_CASES = [
    pytest.param(name, case, id=f"{name}-{i}")
    for name, cases in sorted(CASES.items())
    for i, case in enumerate(cases)
    if isinstance(case, FormError)
]

CLEAR_AND_SUBMIT = """(form) => {
    form.noValidate = true;
    for (const input of form.querySelectorAll('input, textarea, select')) {
        if (input.type === 'hidden' || input.type === 'submit' || input.type === 'button') continue;
        if (input.type === 'radio' || input.type === 'checkbox') { input.checked = false; }
        else if (input.tagName === 'SELECT') {
            const blank = Array.from(input.options).findIndex(o => o.value === '');
            input.selectedIndex = blank;
        } else { input.value = ''; }
    }
    const button = form.querySelector(
        'button[type=submit], input[type=submit], button:not([type])');
    form.requestSubmit(button || undefined);
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "case"), FORM_CASES)
def test_every_form_submitted_empty_meets_wcag_22_aa(page, live_server, records, name, case):
    role = case.role
    if role != ANONYMOUS:
        sign_in(page.context, live_server, login_for(records, role))
    start = case.page(records)
    response = page.goto(start)
    assert response and response.ok, f"{name}: {start} answered {response and response.status}"
    if case.action is None:
        selector = "#main-content form[method=post]:not([action])"
    else:
        selector = f'form[method=post][action="{case.action(records)}"]'
    form = page.locator(selector).first
    assert form.count(), f"{name}: no form matching {selector} on {start}"
    with page.expect_navigation() as navigation:
        form.evaluate(CLEAR_AND_SUBMIT)
    landed = navigation.value
    if case.error_status is not None:
        assert landed.status == case.error_status, (
            f"{name}: an empty form answered {landed.status}")
        assert page.locator(".govuk-error-summary").count(), f"{name}: no error summary"
    findings = Findings()
    check(page, findings, f"{role} {name} submitted empty ({landed.status})")
    fail_on(findings)


def test_axe_core_is_installed():
    assert AXE.exists(), "run `npm ci` (make setup): axe-core is a devDependency"
    assert json.loads((AXE.parent / "package.json").read_text())["version"].startswith("4.")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_check_catches_a_violation(page, live_server, records):
    """The harness itself: a page made inaccessible on purpose must fail."""
    sign_in(page.context, live_server, records.world.coordinator)
    page.goto(reverse("cohort"))
    assert axe_violations(page) == []
    page.evaluate("""() => {
        const image = document.createElement('img');
        image.src = '/static/deter/favicon.svg';
        document.querySelector('main').appendChild(image);
        document.documentElement.removeAttribute('lang');
    }""")
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "html-has-lang"} <= found
    lines = readable("cohort", axe_violations(page))
    assert any(line.startswith("cohort: [critical] image-alt") for line in lines)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["coordinator", "partner"])
def test_the_person_page_reflows_at_320_pixels(page, live_server, records, role):
    """WCAG 1.4.10: no sideways scrolling of the page itself; wide tables scroll in their own
    labelled region, and the harm chart scales down."""
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page.context, live_server, login_for(records, role))
    page.goto(reverse("person", args=[records.world.active.pk]))
    assert page.locator("#timeline").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    if role == "coordinator":
        box = page.locator(".deter-harm-chart svg").bounding_box()
        assert box and box["width"] <= 320


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_evaluation_page_reflows_at_320_pixels(page, live_server, records):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page.context, live_server, records.evaluator)
    page.goto(reverse("evaluation_exports"))
    assert page.locator("[data-agreement]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    findings = Findings()
    check(page, findings, "evaluator evaluation_exports at 320px", reflow=True)
    fail_on(findings)
