"""Letter templates with validated placeholders, letters written from them, and the Word and PDF
downloads."""

import io
import re
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from deter.web.actions import letters as actions
from deter.web.domain import letters
from deter.web.models import AuditEvent, Intervention, Letter, LetterTemplate, StaffProfile

from .casework_factories import entry_of, the_audit_row

BODY = (
    "$address\n\n$date\n\nDear $recipient,\n\n"
    "The partners of $programme in $area know about the violence. We want you safe and alive.\n"
    "Help is here: $support_offer. Your lead professional is $lead_professional.\n"
    "If the violence goes on: $consequence.\n\nYours sincerely,\n$sender"
)


def today_long() -> str:
    day = timezone.localdate()
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def template(world):
    return actions.save_letter_template(world.coordinator, world.programme, name="Custom notice",
                                        kind="custom_notification", body=BODY)


@pytest.fixture
def plan(world):
    entry = entry_of(world, world.active)
    entry.lead_professional = world.caseworker
    entry.support_offer = "a place at the boxing club and a mentor"
    entry.enforcement_consequence = "every legal lever will be used against the group"
    entry.save()
    world.caseworker.first_name, world.caseworker.last_name = "Sam", "Okafor"
    world.caseworker.save()
    return entry


# --- placeholders ----------------------------------------------------------------------------


def test_long_dates_have_no_leading_zero():
    assert letters.long_date(date(2026, 11, 2)) == "2 November 2026"
    assert letters.long_date(date(2026, 11, 22)) == "22 November 2026"


def test_known_placeholders_pass_and_are_listed_in_order():
    letters.check_body(BODY)
    assert letters.placeholders_in("${recipient} and $date, $recipient") == ["recipient", "date"]


@pytest.mark.parametrize(("body", "named"), [
    ("Dear $name", "$name"),
    ("Dear ${first_name} from $areaa", "$first_name, $areaa"),
])
def test_unknown_placeholders_are_refused_by_name(body, named):
    with pytest.raises(ValidationError) as error:
        letters.check_body(body)
    message = error.value.message_dict["body"][0]
    assert named in message and "$recipient" in message


def test_a_stray_dollar_is_refused_but_a_doubled_one_is_a_dollar():
    with pytest.raises(ValidationError) as error:
        letters.check_body("It costs $5")
    assert "write $$" in str(error.value)
    assert letters.fill("It costs $$5 for $recipient", {"recipient": "Jo"}) == "It costs $5 for Jo"


# --- templates -------------------------------------------------------------------------------


def test_the_coordinator_saves_a_template_and_it_is_audited(world, template):
    assert template.programme == world.programme and template.updated_by == world.coordinator
    changed = actions.save_letter_template(world.coordinator, world.programme,
                                           name="Custom notice", kind="letter",
                                           body="Dear $recipient", template=template)
    assert changed.pk == template.pk and changed.kind == "letter"
    rows = AuditEvent.objects.filter(action__endswith="_letter_template").order_by("pk")
    assert [r.action for r in rows] == ["create_letter_template", "update_letter_template"]
    assert rows[1].detail["before"]["kind"] == "custom_notification"


def test_an_unknown_placeholder_changes_nothing(world, template):
    with pytest.raises(ValidationError):
        actions.save_letter_template(world.coordinator, world.programme, name="Custom notice",
                                     kind="letter", body="Dear $nickname", template=template)
    template.refresh_from_db()
    assert template.body == BODY


def test_a_duplicate_template_name_is_refused(world, template):
    with pytest.raises(ValidationError):
        actions.save_letter_template(world.coordinator, world.programme, name="Custom notice",
                                     kind="letter", body="Dear $recipient")


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_the_coordinator_manages_templates(world, who):
    with pytest.raises(PermissionDenied):
        actions.save_letter_template(getattr(world, who), world.programme, name="Mine",
                                     kind="letter", body="Dear $recipient")
    assert not LetterTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="save_letter_template", outcome="denied").exists()


def test_the_template_pages(client, world, template):
    client.force_login(world.coordinator)
    listing = client.get(reverse("letter_templates", args=[world.programme.pk]))
    assert listing.status_code == 200 and "Custom notice" in listing.content.decode()
    response = client.post(reverse("letter_template_new", args=[world.programme.pk]), {
        "name": "Warning letter", "kind": "letter", "body": "Dear $recipient, from $sendr"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text and "unknown placeholder $sendr" in text
    response = client.post(reverse("letter_template_new", args=[world.programme.pk]), {
        "name": "", "kind": "", "body": ""})
    text = response.content.decode()
    assert response.status_code == 400
    for message in ("Enter the template name", "Select the type of letter",
                    "Enter the letter text"):
        assert message in text
    assert not LetterTemplate.objects.filter(name="Warning letter").exists()
    response = client.post(reverse("letter_template_new", args=[world.programme.pk]), {
        "name": "Warning letter", "kind": "letter", "body": "Dear $recipient"})
    assert response.status_code == 302
    created = LetterTemplate.objects.get(name="Warning letter")
    assert (created.programme, created.kind, created.body, created.updated_by) == (
        world.programme, "letter", "Dear $recipient", world.coordinator)
    row = AuditEvent.objects.get(action="create_letter_template", object_id=str(created.pk))
    assert (row.actor, row.outcome, row.object_type) == (
        world.coordinator, "allowed", "letter_template")
    assert client.get(response["Location"]).status_code == 200
    edit = reverse("letter_template_edit", args=[world.programme.pk, template.pk])
    assert "$support_offer" in client.get(edit).content.decode()
    response = client.post(edit, {"name": "Custom notice", "kind": "letter",
                                  "body": "Hello $recipient"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.body, template.kind) == ("Hello $recipient", "letter")
    row = the_audit_row("update_letter_template", world.coordinator, "letter_template",
                        template.pk)
    assert row.detail["before"]["body"] == BODY and row.detail["kind"] == "letter"


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_others_get_a_404_for_the_template_pages(client, world, template, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("letter_templates", args=[world.programme.pk])).status_code == 404
    edit = reverse("letter_template_edit", args=[world.programme.pk, template.pk])
    assert client.post(edit, {"name": "x", "kind": "letter", "body": "x"}).status_code == 404
    template.refresh_from_db()
    assert template.name == "Custom notice"


def test_a_template_of_another_programme_is_a_404(client, world, template):
    client.force_login(world.coordinator)
    # the coordinator does not run the police-only programme
    url = reverse("letter_template_edit", args=[world.police_only_programme.pk, template.pk])
    assert client.get(url).status_code == 404


# --- letters ---------------------------------------------------------------------------------


def test_a_caseworker_writes_a_letter(world, template, plan):
    letter = actions.generate_letter(world.caseworker, plan, template, "Jordan Smith",
                                     "12 Mill Lane\nEastgate")
    intervention = letter.intervention
    assert (intervention.kind, intervention.category, intervention.status) == (
        "communication", "custom_notification", "completed")
    assert intervention.person == world.active and intervention.agency == world.social_care
    assert intervention.updates.get().status == "completed"
    assert "$" not in letter.body
    for text in ("Dear Jordan Smith,", "12 Mill Lane\nEastgate", today_long(),
                 "Knife crime in Testshire", "a place at the boxing club and a mentor",
                 "Your lead professional is Sam Okafor.",
                 "every legal lever will be used against the group", "Yours sincerely,\nSam"):
        assert text in letter.body
    row = AuditEvent.objects.get(action="generate_letter")
    assert row.object_id == str(letter.pk) and row.detail["person"] == world.active.pk


def test_a_letter_from_a_letter_template_is_a_focused_deterrence_letter(world, plan):
    template = actions.save_letter_template(world.coordinator, world.programme, name="FD letter",
                                            kind="letter", body="Dear $recipient")
    letter = actions.generate_letter(world.coordinator, plan, template, "Jo")
    assert letter.intervention.category == Intervention.Category.LETTER
    assert letter.body == "Dear Jo"


def test_a_plan_without_what_the_template_needs_is_refused(world, template):
    entry = entry_of(world, world.active)
    with pytest.raises(ValidationError) as error:
        actions.generate_letter(world.coordinator, entry, template, "Jordan", "1 Road")
    message = error.value.message_dict["template"][0]
    assert "lead professional" in message and "support offer" in message
    assert not Letter.objects.exists() and not Intervention.objects.exists()


@pytest.mark.parametrize(("recipient", "address", "field"), [
    ("  ", "1 Road", "recipient"), ("x" * 201, "1 Road", "recipient"), ("Jo", "", "address"),
])
def test_bad_recipients_are_refused(world, template, plan, recipient, address, field):
    with pytest.raises(ValidationError) as error:
        actions.generate_letter(world.caseworker, plan, template, recipient, address)
    assert field in error.value.message_dict
    assert not Letter.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_others_may_not_write_letters(world, template, plan, who):
    with pytest.raises(PermissionDenied):
        actions.generate_letter(getattr(world, who), plan, template, "Jo", "1 Road")
    assert not Letter.objects.exists() and not Intervention.objects.exists()
    row = AuditEvent.objects.get(action="generate_letter")
    assert (row.actor, row.outcome, row.object_type, row.object_id) == (
        getattr(world, who), "denied", "person", str(world.active.pk))


def test_a_partner_who_is_the_lead_professional_may_write_letters(world, template, plan):
    plan.lead_professional = world.partner
    plan.save()
    with pytest.raises(ValidationError) as error:  # a user name is no name for a letter
        actions.generate_letter(world.partner, plan, template, "Jo", "1 Road")
    assert "the lead professional (partner) has no full name" in str(error.value)
    StaffProfile.objects.create(user=world.partner, full_name="Alex Reid")
    letter = actions.generate_letter(world.partner, plan, template, "Jo", "1 Road")
    assert "Your lead professional is Alex Reid." in letter.body
    assert letter.intervention.agency == world.school
    stored = Letter.objects.get()
    assert (stored.pk, stored.recipient, stored.created_by) == (letter.pk, "Jo", world.partner)
    the_audit_row("generate_letter", world.partner, "letter", letter.pk)


def test_a_template_of_another_programme_is_refused(world, plan):
    other = LetterTemplate.objects.create(programme=world.police_only_programme, name="Other",
                                          body="Dear $recipient", updated_by=world.analyst)
    with pytest.raises(PermissionDenied):
        actions.generate_letter(world.coordinator, plan, other, "Jo")


def test_the_letter_form(client, world, template, plan):
    client.force_login(world.caseworker)
    person_page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    url = reverse("letter_new", args=[world.programme.pk, world.active.pk])
    assert url in person_page
    assert client.get(url).status_code == 200
    response = client.post(url, {"template": template.pk, "recipient": "", "address": ""})
    assert response.status_code == 400
    assert "Enter the name of the person the letter is to" in response.content.decode()
    assert not Letter.objects.exists()
    response = client.post(url, {"template": template.pk, "recipient": "Jordan Smith",
                                 "address": "12 Mill Lane"})
    assert response.status_code == 302
    letter = Letter.objects.select_related("intervention").get()
    assert (letter.template, letter.recipient, letter.address, letter.created_by) == (
        template, "Jordan Smith", "12 Mill Lane", world.caseworker)
    assert "Dear Jordan Smith," in letter.body and "$" not in letter.body
    intervention = letter.intervention
    assert (intervention.person, intervention.programme, intervention.agency,
            intervention.kind, intervention.status, intervention.created_by) == (
        world.active, world.programme, world.social_care, "communication", "completed",
        world.caseworker)
    row = the_audit_row("generate_letter", world.caseworker, "letter", letter.pk)
    assert row.detail["person"] == world.active.pk
    assert row.detail["intervention"] == intervention.pk
    assert response["Location"] == reverse("intervention", args=[letter.intervention_id])
    page = client.get(response["Location"]).content.decode()
    assert "Letter written to Jordan Smith" in page
    assert reverse("letter_docx", args=[letter.pk]) in page
    assert reverse("letter_pdf", args=[letter.pk]) in page


@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_others_get_a_404_for_the_letter_form(client, world, template, plan, who):
    client.force_login(getattr(world, who))
    url = reverse("letter_new", args=[world.programme.pk, world.active.pk])
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("person", args=[world.active.pk])).content.decode()


def test_no_letter_form_for_a_proposed_person_for_a_caseworker(client, world, template):
    client.force_login(world.caseworker)
    url = reverse("letter_new", args=[world.programme.pk, world.proposed.pk])
    assert client.get(url).status_code == 404


# --- documents -------------------------------------------------------------------------------


@pytest.fixture
def letter(world, template, plan):
    return actions.generate_letter(world.caseworker, plan, template, "Zoë Ó Briain",
                                   "12 Mill Lane\nEastgate\nTS1 2AB")


def test_the_word_document_holds_the_letter(client, world, letter):
    client.force_login(world.caseworker)
    response = client.get(reverse("letter_docx", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Zoë Ó Briain" in text and "TS1 2AB" in text and "Dear Zoë Ó Briain," in text
    assert "a place at the boxing club and a mentor" in text and today_long() in text
    assert "$" not in text
    row = AuditEvent.objects.get(action="download_letter")
    assert row.detail["format"] == "docx" and row.object_id == str(letter.pk)


def test_the_pdf_holds_the_letter(client, world, letter):
    client.force_login(world.coordinator)
    response = client.get(reverse("letter_pdf", args=[letter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Zoë Ó Briain" in text and "Dear Zoë Ó Briain," in text
    assert "every legal lever will be used against the group" in text
    assert "$" not in text
    assert AuditEvent.objects.get(action="download_letter").detail["format"] == "pdf"


def test_a_long_letter_runs_onto_a_second_page(world, plan):
    body = "\n\n".join(f"Paragraph {i}: $recipient, help is here." for i in range(80))
    template = actions.save_letter_template(world.coordinator, world.programme, name="Long",
                                            kind="letter", body=body)
    letter = actions.generate_letter(world.coordinator, plan, template, "Jo")
    reader = PdfReader(io.BytesIO(letters.to_pdf(letter.recipient, "", letter.body, "Long")))
    assert len(reader.pages) >= 2
    assert "Paragraph 79: Jo" in reader.pages[-1].extract_text()


@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_others_get_a_404_for_the_downloads_and_it_is_audited(client, world, letter, who):
    client.force_login(getattr(world, who))
    for name in ("letter_docx", "letter_pdf"):
        assert client.get(reverse(name, args=[letter.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="download_letter", outcome="denied").count() == 2


def test_the_letter_is_not_shown_to_a_partner_on_the_intervention_page(client, world, letter):
    client.force_login(world.partner)
    response = client.get(reverse("intervention", args=[letter.intervention_id]))
    assert response.status_code == 200
    assert "Zoë" not in response.content.decode()


def test_a_missing_letter_is_a_404(client, world):
    client.force_login(world.coordinator)
    assert client.get("/letters/424242.pdf").status_code == 404


def _queries_for(client, url: str) -> list[str]:
    """The SQL a request ran, numbers and quoted values blanked (keys, times, session)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 404
    return [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]


@pytest.mark.parametrize("name", ["letter_docx", "letter_pdf"])
@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_a_hidden_letter_costs_the_same_queries_as_a_missing_one(client, world, letter, who,
                                                                 name):
    """Timing must not tell a hidden letter from a missing one: both paths run the same
    queries (one fetch by key and visibility together, the audit row, the 404 page) and
    neither renders the letter (docs/benchmarks.md has the timings)."""
    client.force_login(getattr(world, who))
    hidden = _queries_for(client, reverse(name, args=[letter.pk]))
    missing = _queries_for(client, reverse(name, args=[letter.pk + 1000]))
    assert len(hidden) == len(missing)
    assert hidden == missing
    # one fetch by key and visibility; none for the stranger, whom the policy answers unasked
    assert sum("deter_letter" in sql for sql in hidden) == (0 if who == "stranger" else 1)
