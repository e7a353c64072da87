"""The agreement and partner-link pages: what each shows, who gets each button, each write
going through the sharing actions with its audit row, bad input answered with an error naming
the field, and a refusal the 404 of a missing record."""

from datetime import date

import pytest
from django.urls import reverse

from deter.web.models import (
    AgreementParty,
    AuditEvent,
    DataSharingAgreement,
    PersonLink,
    StaffRole,
)

from .factories import make_agreement, make_user

Role = StaffRole.Role
Status = DataSharingAgreement.Status


@pytest.fixture
def dpos(world):
    return {"police": make_user("dpo", world.police, Role.DPO),
            "care": make_user("dpo-care", world.social_care, Role.DPO),
            "school": make_user("dpo-school", world.school, Role.DPO)}


@pytest.fixture
def awaiting(world):
    """Version two, complete and awaiting the police's and social care's DPOs; the school
    receives identity and health."""
    return make_agreement(world.programme, {world.police: ["identity"],
                                            world.social_care: ["identity", "cohort"],
                                            world.school: ["identity", "health"]},
                          Status.AWAITING_APPROVAL,
                          suppliers=[world.police, world.social_care], title="Version two")


def test_the_list_shows_each_version_with_its_status(client, world, awaiting):
    client.force_login(world.coordinator)
    body = client.get(reverse("agreements", args=[world.programme.pk])).content.decode()
    assert 'data-agreement-status="active"' in body
    assert 'data-agreement-status="awaiting_approval"' in body
    assert "Version two" in body and "Draft a new version" in body
    assert AuditEvent.objects.filter(action="view_agreements").exists()


def test_the_partner_sees_the_list_without_the_draft_button(client, world):
    client.force_login(world.partner)
    response = client.get(reverse("agreements", args=[world.programme.pk]))
    assert response.status_code == 200
    assert "Draft a new version" not in response.content.decode()


def test_strangers_get_the_404_of_a_missing_programme(client, world, awaiting):
    client.force_login(world.stranger)
    assert client.get(reverse("agreements", args=[world.programme.pk])).status_code == 404
    assert client.get(reverse("agreement", args=[awaiting.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="view_agreement", outcome="denied",
                                     object_id=str(awaiting.pk)).exists()


def test_the_agreement_page_reads_as_words(client, world, awaiting, dpos):
    client.force_login(dpos["police"])
    body = client.get(reverse("agreement", args=[awaiting.pk])).content.decode()
    assert "Health, mental health and substance misuse (special category)" in body
    assert "UK GDPR Art. 6(1)(e): public task" in body
    assert "Awaiting the data protection officer of: Testshire Children&#x27;s Social Care, " \
           "Testshire Police." in body
    assert "Every item of the checklist is recorded." in body
    assert "Approve this agreement" in body  # the police's DPO may approve
    assert "You approve as the data protection officer of Testshire Police." in body


def test_the_missing_checklist_items_are_listed(client, world):
    gappy = make_agreement(world.programme, {world.school: ["identity"]}, Status.DRAFT,
                           dpia_reference="", rights_procedure="")
    AgreementParty.objects.filter(agreement=gappy).update(lawful_basis="")
    client.force_login(world.coordinator)
    body = client.get(reverse("agreement", args=[gappy.pk])).content.decode()
    for gap in ("A data protection impact assessment", "A procedure for individuals&#x27; "
                "rights", "At least one party that supplies data",
                "A lawful basis for Northgate School"):
        assert gap in body
    response = client.post(reverse("agreement_submit", args=[gappy.pk]))
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    gappy.refresh_from_db()
    assert gappy.status == Status.DRAFT


@pytest.mark.parametrize("who", ["coordinator", "partner", "analyst"])
def test_only_a_supplier_s_dpo_is_shown_the_approve_button(client, world, awaiting, who):
    client.force_login(getattr(world, who))
    body = client.get(reverse("agreement", args=[awaiting.pk])).content.decode()
    assert "Approve this agreement" not in body
    assert client.post(reverse("agreement_approve", args=[awaiting.pk])).status_code == 404


def test_the_school_s_dpo_receives_data_so_may_not_approve(client, world, awaiting, dpos):
    client.force_login(dpos["school"])
    assert "Approve this agreement" not in client.get(
        reverse("agreement", args=[awaiting.pk])).content.decode()
    assert client.post(reverse("agreement_approve", args=[awaiting.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="approve_agreement", outcome="denied").exists()


def test_each_supplier_s_approval_and_the_last_activates(client, world, awaiting, dpos):
    client.force_login(dpos["police"])
    client.post(reverse("agreement_approve", args=[awaiting.pk]))
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_APPROVAL
    body = client.get(reverse("agreement", args=[awaiting.pk])).content.decode()
    assert "Awaiting the data protection officer of: Testshire Children&#x27;s Social " \
           "Care." in body
    assert "Approve this agreement" not in body  # the police's approval is given
    client.force_login(dpos["care"])
    client.post(reverse("agreement_approve", args=[awaiting.pk]))
    awaiting.refresh_from_db()
    assert awaiting.status == Status.ACTIVE
    assert world.programme.agreements.get(version=1).status == Status.SUPERSEDED
    assert AuditEvent.objects.filter(action="approve_agreement", outcome="allowed").count() == 2


def test_revoking_needs_a_reason_and_lists_who_it_affected(client, world, dpos):
    agreement = world.programme.agreements.get()
    client.force_login(dpos["police"])
    url = reverse("agreement_revoke", args=[agreement.pk])
    empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 400
    body = empty.content.decode()
    assert "govuk-error-summary" in body and 'href="#id_reason"' in body
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE
    client.post(url, {"reason": "The school's DPIA lapsed"})
    agreement.refresh_from_db()
    assert agreement.status == Status.REVOKED
    body = client.get(reverse("agreement", args=[agreement.pk])).content.decode()
    assert "The school&#x27;s DPIA lapsed" in body
    assert 'data-affected="Northgate School"' in body
    # the school was linked to all four people of the test world
    assert body.count("data-affected-person") == 4
    assert "saw the 2 active and stepped-down people" in body  # social care's caseworker


def test_the_coordinator_may_not_revoke(client, world):
    agreement = world.programme.agreements.get()
    client.force_login(world.coordinator)
    assert "Revoke the agreement" not in client.get(
        reverse("agreement", args=[agreement.pk])).content.decode()
    assert client.post(reverse("agreement_revoke", args=[agreement.pk]),
                       {"reason": "no"}).status_code == 404


def draft_data(world, **changes) -> dict:
    data = {
        "title": "Knife crime v2", "purpose": "delivery", "purpose_detail": "Delivering it",
        "starts_day": "1", "starts_month": "4", "starts_year": "2026",
        "review_date_day": "1", "review_date_month": "4", "review_date_year": "2027",
        "special_category": "no", "includes_ethnicity": "no",
        "dpia_reference": "DPIA-2", "equality_assessment": "EIA-2",
        "privacy_information": "notice", "security_arrangements": "secure",
        "rights_procedure": "rights",
        f"part_{world.police.pk}": "supplies", f"basis_{world.police.pk}": "dpa_part_3",
        f"categories_{world.police.pk}": ["identity"], f"ages_{world.police.pk}": "both",
        f"part_{world.school.pk}": "receives", f"basis_{world.school.pk}": "cda_s115",
        f"categories_{world.school.pk}": ["identity", "cohort"],
        f"ages_{world.school.pk}": "children",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_coordinator_drafts_a_version_through_the_action(client, world):
    client.force_login(world.coordinator)
    url = reverse("agreement_new", args=[world.programme.pk])
    form = client.get(url).content.decode()
    assert 'value="Knife crime sharing"' in form  # starts from the newest version's terms
    response = client.post(url, draft_data(world))
    draft = world.programme.agreements.get(version=2)
    assert response.status_code == 302 and response.url == reverse("agreement", args=[draft.pk])
    assert draft.status == Status.DRAFT and draft.starts == date(2026, 4, 1)
    school = draft.parties.get(agency=world.school)
    assert (school.supplies_data, school.lawful_basis, school.categories,
            school.sees_adults, school.sees_children) == (
        False, "cda_s115", ["cohort", "identity"], False, True)
    assert draft.parties.get(agency=world.police).supplies_data
    assert AuditEvent.objects.filter(action="draft_agreement", object_id=str(draft.pk)).exists()
    client.post(reverse("agreement_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_APPROVAL


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "id_title", "Enter the agreement&#x27;s title"),
    ({"starts_day": "31", "starts_month": "2"}, "id_starts_0", "Start date must be a real date"),
    ({"ends_day": "1", "ends_month": "1", "ends_year": "2026"}, "id_ends_0",
     "The end date must be the same as or after the start date"),
    ({"categories_{school}": ["health"]}, "id_categories_{school}_0",
     "Northgate School may see health data only if the agreement says health"),
    ({"part_{police}": "", "part_{school}": ""}, "id_part_{school}_0",
     "Choose at least one agency&#x27;s part in the agreement"),
])
def test_bad_input_names_the_field_and_drafts_nothing(client, world, changes, field, message):
    pks = {"police": world.police.pk, "school": world.school.pk, "vru": world.vru.pk}
    changes = {k.format(**pks): v for k, v in changes.items()}
    client.force_login(world.coordinator)
    response = client.post(reverse("agreement_new", args=[world.programme.pk]),
                           draft_data(world, **changes))
    body = response.content.decode()
    assert response.status_code == 400
    assert f'href="#{field.format(**pks)}"' in body and message in body
    assert world.programme.agreements.count() == 1


def test_only_the_coordinator_drafts(client, world, dpos):
    for user in (world.partner, world.analyst, dpos["police"]):
        client.force_login(user)
        assert client.get(reverse("agreement_new", args=[world.programme.pk])).status_code \
            == 404
    assert AuditEvent.objects.filter(action="draft_agreement", outcome="denied").count() == 3


# --- partner links ---------------------------------------------------------------------------

def test_the_coordinator_records_a_link_and_the_partner_then_sees_the_person(client, world):
    newcomer = world.active
    PersonLink.objects.filter(person=newcomer).delete()
    client.force_login(world.partner)
    assert client.get(reverse("person", args=[newcomer.pk])).status_code == 404
    client.force_login(world.coordinator)
    url = reverse("programme_links", args=[world.programme.pk])
    response = client.post(url, {"agency": world.school.pk, "person": newcomer.person_id,
                                 "relationship": "pupil", "note": "Year 10"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="record_link").exists()
    client.force_login(world.partner)
    assert client.get(reverse("person", args=[newcomer.pk])).status_code == 200


def test_a_duplicate_link_is_an_error_on_the_person(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("programme_links", args=[world.programme.pk]),
                           {"agency": world.school.pk, "person": world.active.person_id,
                            "relationship": "pupil"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#id_person"' in body and "is already linked to" in body


def test_an_empty_link_form_names_each_field(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("programme_links", args=[world.programme.pk]), {})
    body = response.content.decode()
    assert response.status_code == 400
    for message in ("Select the agency", "Select the person",
                    "Select the working relationship"):
        assert message in body


def test_the_partner_ends_its_own_link_and_stops_seeing_the_person(client, world):
    link = world.programme.person_links.get(person=world.active)
    client.force_login(world.partner)
    page = client.get(reverse("programme_links", args=[world.programme.pk])).content.decode()
    assert "Record a link" not in page and f'data-link="{link.pk}"' in page
    assert client.post(reverse("programme_links", args=[world.programme.pk]),
                       {"agency": world.school.pk}).status_code == 404
    client.post(reverse("end_link", args=[link.pk]))
    link.refresh_from_db()
    assert link.ended_at is not None
    assert client.get(reverse("person", args=[world.active.pk])).status_code == 404


def test_a_stranger_may_not_end_a_link(client, world):
    link = world.programme.person_links.get(person=world.active)
    client.force_login(world.stranger)
    assert client.post(reverse("end_link", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.ended_at is None


def test_an_expired_agreement_lists_who_it_affected_for_the_dpo_only(client, world, dpos):
    from deter.web.actions.sharing import expire_agreements

    agreement = world.programme.agreements.get()
    DataSharingAgreement.objects.filter(pk=agreement.pk).update(ends=date(2026, 1, 31))
    assert expire_agreements() == 1
    client.force_login(dpos["school"])  # a party's DPO, though the party sees nothing now
    body = client.get(reverse("agreement", args=[agreement.pk])).content.decode()
    assert 'data-agreement-status="expired"' in body and "Expired after 31 January 2026" in body
    assert body.count("data-affected-person") == 4
    row = AuditEvent.objects.filter(action="view_agreement").latest("id")
    assert sorted(row.detail["affected_people"]) == sorted(
        p.pk for p in world.everyone_in_programme)
    client.force_login(world.coordinator)  # no longer in the programme: not a party in force
    assert client.get(reverse("agreement", args=[agreement.pk])).status_code == 404
