"""Letters fit to send: the agency's letterhead and logo, a unique reference, the date of issue,
the programme's security marking on every page, "Page 1 of 2", the lead professional's real
name, job title and contact, and the address printed once."""

import io
import os
import shutil
import subprocess
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from docx import Document
from PIL import Image
from pypdf import PdfReader

from deter.web.actions import administration as admin
from deter.web.actions import letters as actions
from deter.web.models import AuditEvent, Letter, Programme

from .casework_factories import entry_of

ADDRESS_IN_BODY = ("$address\n\nDear $recipient,\n\nYour lead professional is $lead_professional "
                   "($lead_professional_job_title): call $lead_professional_contact.\n\n"
                   "Yours sincerely,\n$sender\n$sender_job_title\nReference $reference")
NO_ADDRESS = "Dear $recipient,\n\nYour lead professional is $lead_professional."


def png(width=120, height=60, colour=(0, 94, 165)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def letterhead(world):
    """Children's social care with an address, phone and logo; named staff with contacts."""
    admin.save_agency(None, world.social_care, name=world.social_care.name,
                      kind=world.social_care.kind,
                      address="Sessions House\nCounty Road\nMaidstone ME14 1XQ",
                      phone="03000 41 11 11")
    admin.set_agency_logo(None, world.social_care, png(), "logo.png")
    admin.edit_account(None, world.caseworker, full_name="Sam Okafor",
                       job_title="Adolescent support worker", email="sam.okafor@example.gov.uk",
                       phone="07700 900123")
    admin.edit_account(None, world.coordinator, full_name="Priya Shah",
                       job_title="Programme coordinator")
    entry = entry_of(world, world.active)
    entry.lead_professional = world.caseworker
    entry.support_offer = "a mentor"
    entry.enforcement_consequence = "enforcement"
    entry.save()
    return entry


def write(world, entry, body, name="Letter", recipient="Jordan Smith",
          address="12 Mill Lane\nEastgate\nTS1 2AB", who=None) -> Letter:
    template = actions.save_letter_template(world.coordinator, world.programme, name=name,
                                            kind="letter", body=body)
    return actions.generate_letter(who or world.caseworker, entry, template, recipient, address)


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_letter_has_a_reference_date_marking_and_letterhead(world, letterhead):
    first = write(world, letterhead, NO_ADDRESS, name="First")
    second = write(world, letterhead, NO_ADDRESS, name="Second")
    year = timezone.localdate().year
    programme = world.programme
    assert first.reference == f"KC{programme.pk}-{year}-0001"  # "Knife crime"
    assert second.reference == f"KC{programme.pk}-{year}-0002"
    assert first.issued_on == timezone.localdate()
    assert first.security_marking == "OFFICIAL-SENSITIVE"  # the default
    assert first.letterhead == {"agency": world.social_care.name,
                                "address": "Sessions House\nCounty Road\nMaidstone ME14 1XQ",
                                "phone": "03000 41 11 11"}
    assert first.logo_id == world.social_care.logo_id and first.address_block
    row = AuditEvent.objects.get(action="generate_letter", object_id=str(second.pk))
    assert row.detail["reference"] == second.reference


def test_the_marking_is_the_programmes(world, letterhead):
    Programme.objects.filter(pk=world.programme.pk).update(security_marking="OFFICIAL")
    letterhead.programme.refresh_from_db()
    assert write(world, letterhead, NO_ADDRESS).security_marking == "OFFICIAL"


def test_the_lead_professional_is_named_with_job_title_and_contact(world, letterhead):
    letter = write(world, letterhead, ADDRESS_IN_BODY)
    assert ("Your lead professional is Sam Okafor (Adolescent support worker, Testshire "
            "Children's Social Care): call 07700 900123 or sam.okafor@example.gov.uk.") \
        in letter.body
    assert f"Reference {letter.reference}" in letter.body
    assert not letter.address_block  # the body holds the address


def test_a_lead_professional_without_a_job_title_or_contact_is_refused(world, letterhead):
    admin.edit_account(None, world.caseworker, full_name="Sam Okafor")
    with pytest.raises(ValidationError) as error:
        write(world, letterhead, ADDRESS_IN_BODY)
    message = error.value.message_dict["template"][0]
    assert "lead professional (caseworker) has no job title and no phone number or email" \
        in message
    assert not Letter.objects.exists()


def _pdf(client, world, letter) -> bytes:
    client.force_login(world.caseworker)
    response = client.get(reverse("letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("body", [ADDRESS_IN_BODY, NO_ADDRESS])
def test_the_pdf_prints_everything_and_the_address_once(client, world, letterhead, body):
    letter = write(world, letterhead, body + "\n\n" + "\n\n".join(
        f"Paragraph {i} of the letter." for i in range(60)))
    pages = pdf_text(_pdf(client, world, letter))
    assert len(pages) >= 2
    text = "\n".join(pages)
    for i, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2  # top and foot of every page
        assert f"Page {i} of {len(pages)}" in page
    first = pages[0]
    assert world.social_care.name in first and "Maidstone ME14 1XQ" in first
    assert "Telephone: 03000 41 11 11" in first
    assert f"Our reference: {letter.reference}" in first
    assert f"Date of issue: {timezone.localdate().day} {timezone.localdate():%B %Y}" in first
    assert text.count("12 Mill Lane") == 1 and text.count("TS1 2AB") == 1
    assert "Sam Okafor" in text and "$" not in text
    reader = PdfReader(io.BytesIO(_pdf(client, world, letter)))
    assert reader.pages[0].images  # the logo


def test_the_word_document_prints_everything_and_the_address_once(client, world, letterhead):
    letter = write(world, letterhead, ADDRESS_IN_BODY)
    client.force_login(world.caseworker)
    response = client.get(reverse("letter_docx", args=[letter.pk]))
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.count("12 Mill Lane") == 1
    assert f"Our reference: {letter.reference}" in text and world.social_care.name in text
    assert "Telephone: 03000 41 11 11" in text and "Sam Okafor" in text
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("OFFICIAL-SENSITIVE") and "Page" in footer.text
    instructions = [t.text.strip() for t in footer._p.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert any(name.startswith("word/media/") for name in archive.namelist())  # the logo


def test_a_letter_prints_as_written_after_the_agency_changes(client, world, letterhead):
    letter = write(world, letterhead, NO_ADDRESS)
    admin.save_agency(None, world.social_care, name="Renamed Care", kind="childrens_services",
                      address="Elsewhere", phone="")
    admin.set_agency_logo(None, world.social_care, png(colour=(200, 0, 0)), "new.png")
    first = pdf_text(_pdf(client, world, letter))[0]
    assert "Testshire Children's Social Care" in first and "Renamed Care" not in first


def test_a_letter_written_before_letterheads_still_prints(client, world, letterhead):
    letter = write(world, letterhead, NO_ADDRESS)
    Letter.objects.filter(pk=letter.pk).update(reference=None, issued_on=None,
                                               security_marking="", letterhead={}, logo=None)
    text = pdf_text(_pdf(client, world, letter.__class__.objects.get(pk=letter.pk)))[0]
    assert "Jordan Smith" in text and "Our reference" not in text and "Page 1 of 1" in text


def test_the_pdf_renders(client, world, letterhead, tmp_path):
    """pdftoppm draws the first page (poppler, as a reader would): the logo's blue is there."""
    if shutil.which("pdftoppm") is None:  # make test-deps installs poppler-utils; CI needs it
        if os.environ.get("DETER_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm (poppler-utils) is missing: run make test-deps as root")
        pytest.skip("poppler-utils not installed")
    letter = write(world, letterhead, ADDRESS_IN_BODY)
    path = tmp_path / "letter.pdf"
    path.write_bytes(_pdf(client, world, letter))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",  # noqa: S603,S607
                    str(path), str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    assert (0, 94, 165) in {colour for _, colour in image.getcolors(1_000_000)}
