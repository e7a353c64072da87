"""Focused deterrence letters and custom notifications: placeholders, filling in, and the
Word and PDF documents.

A template's body is plain text with ``$placeholders`` (Python's ``string.Template``): nothing
in it can reach into the database. Unknown placeholders are refused when the template is saved,
so a letter never goes out with a "$something" in it. A generated letter stores the filled-in
text; the documents are drawn from that stored text, so a download always shows exactly what
was sent.

Deter holds no names or addresses: the person writing the letter types them in.
"""

import io
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError

PLACEHOLDERS: dict[str, str] = {
    "recipient": "The name of the person the letter is to",
    "address": "Their address, as typed when the letter is written",
    "date": "Today's date, like 22 November 2026",
    "programme": "The programme's name",
    "area": "The programme's area",
    "lead_professional": "The full name of the person's lead professional",
    "lead_professional_job_title": "The lead professional's job title and agency",
    "lead_professional_contact": "The lead professional's phone number and email",
    "support_offer": "The help on offer, from the person's plan",
    "consequence": "What happens after further violence, from the person's plan",
    "sender": "The full name of the person writing the letter",
    "sender_job_title": "Their job title and agency",
    "reference": "The letter's reference, like KCT1-2026-0007 (also printed at the top)",
}

# What the accounts must hold before a template using the placeholder is used: Deter never
# puts a user name ("caseworker") where a person's name belongs.
FROM_ACCOUNTS = {
    "lead_professional": ("lead professional", "full name"),
    "lead_professional_job_title": ("lead professional", "job title"),
    "lead_professional_contact": ("lead professional", "phone number or email"),
    "sender": ("sender", "full name"),
    "sender_job_title": ("sender", "job title"),
}

# What must be filled in on the person's plan before a template using the placeholder is used.
FROM_PLAN = {
    "lead_professional": "a lead professional",
    "support_offer": "a support offer",
    "consequence": "a consequence of further violence",
}


def long_date(day: date) -> str:
    """22 November 2026 (no leading zero, the way letters are dated)."""
    return f"{day.day} {day:%B %Y}"


def placeholders_in(body: str) -> list[str]:
    """The placeholder names the body uses, in order of first use."""
    names: list[str] = []
    for match in string.Template.pattern.finditer(body):
        name = match.group("named") or match.group("braced")
        if name and name not in names:
            names.append(name)
    return names


def check_body(body: str) -> None:
    """Refuse unknown placeholders (naming them) and a stray "$"."""
    unknown = [name for name in placeholders_in(body) if name not in PLACEHOLDERS]
    problems = []
    if unknown:
        listed = ", ".join(f"${name}" for name in unknown)
        known = ", ".join(f"${name}" for name in PLACEHOLDERS)
        noun = "placeholder" if len(unknown) == 1 else "placeholders"
        problems.append(f"The letter uses the unknown {noun} {listed}. "
                        f"The placeholders you can use are {known}")
    if any(m.group("invalid") is not None for m in string.Template.pattern.finditer(body)):
        problems.append("A $ must start a placeholder such as $recipient; write $$ for a $ sign")
    if problems:
        raise ValidationError({"body": problems})


def fill(body: str, values: dict[str, str]) -> str:
    """The body with every placeholder filled in; a checked body has no unknown ones."""
    check_body(body)
    return string.Template(body).substitute(values)


def missing_from_plan(body: str, values: dict[str, str]) -> list[str]:
    """What the plan lacks for the placeholders this body uses."""
    used = placeholders_in(body)
    return [what for name, what in FROM_PLAN.items() if name in used and not values.get(name)]


def missing_from_accounts(body: str, values: dict[str, str]) -> dict[str, list[str]]:
    """What the lead professional's and the sender's accounts lack for the placeholders this
    body uses: {"lead professional": ["job title"], ...}."""
    used = placeholders_in(body)
    missing: dict[str, list[str]] = {}
    for name, (whose, what) in FROM_ACCOUNTS.items():
        if name in used and not values.get(name):
            missing.setdefault(whose, []).append(what)
    return missing


SMALL_WORDS = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to"})


def initials(name: str) -> str:
    """KCT for "Knife crime in Testshire": the first letters of its words but the small
    ones."""
    words = "".join(c if c.isalnum() else " " for c in name).split()
    letters_ = "".join(w[0] for w in words if w.lower() not in SMALL_WORDS)
    return (letters_ or "".join(w[0] for w in words)).upper()[:6] or "L"


def reference(programme_name: str, programme_pk: int, year: int, sequence: int) -> str:
    """A letter's reference: the programme's initials and key (unique even when two
    programmes share initials), the year of issue and the letter's number in that year."""
    return f"{initials(programme_name)}{programme_pk}-{year}-{sequence:04d}"


def joined(*parts: str, sep: str = ", ") -> str:
    return sep.join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True)
class Letterhead:
    """What a letter prints besides its recipient, address and body: the sending agency's
    letterhead, the reference, the date of issue and the security marking (at the top and
    foot of every page, as the Government Security Classifications ask)."""

    agency: str = ""
    agency_address: str = ""
    agency_phone: str = ""
    logo: bytes | None = None  # PNG, checked by domain.logos
    reference: str = ""
    issued_on: date | None = None
    marking: str = ""

    def meta_lines(self) -> list[str]:
        lines = []
        if self.reference:
            lines.append(f"Our reference: {self.reference}")
        if self.issued_on:
            lines.append(f"Date of issue: {long_date(self.issued_on)}")
        return lines

    def agency_lines(self) -> list[str]:
        return [line for line in (*_paragraphs(self.agency_address), self.agency_phone and
                                  f"Telephone: {self.agency_phone}") if line and line.strip()]


# --- documents --------------------------------------------------------------------------------

FONT_FAMILY = "DejaVu"


def font_path(style: str = "") -> Path:
    """DejaVu Sans as shipped inside matplotlib's package (a locked dependency), so PDFs carry
    any character a name or address might have, with no system font needed."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def _paragraphs(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _recipient_lines(recipient: str, address: str) -> list[str]:
    return [line for line in (recipient, *_paragraphs(address)) if line.strip()]


PAGE_OF = "Page {page} of {pages}"


def to_docx(recipient: str, address: str, body: str, title: str,
            head: Letterhead | None = None, *, address_block: bool = True) -> bytes:
    """A Word document: the letterhead, the recipient and address block (unless the body
    holds the address), the reference and date, then the letter's text; the security marking
    in every page's header and footer, with "Page 1 of 2" (Word's PAGE and NUMPAGES fields)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    head = head or Letterhead()
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = head.agency or "Deter"
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(12)
    section = document.sections[0]
    _docx_marking(section.header.paragraphs[0], head.marking)
    footer = section.footer.paragraphs[0]
    _docx_marking(footer, head.marking, line_after=True)
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _docx_field(footer, "PAGE")
    footer.add_run(" of ")
    _docx_field(footer, "NUMPAGES")
    if head.logo:
        document.add_picture(io.BytesIO(head.logo), height=Cm(2))
    if head.agency:
        top = document.add_paragraph()
        top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        top.add_run(head.agency).bold = True
        for line in head.agency_lines():
            top.add_run().add_break()
            top.add_run(line)
    blocks = []
    if address_block:
        blocks.append(_recipient_lines(recipient, address))
    blocks.append(head.meta_lines())
    for lines in filter(None, blocks):
        block = document.add_paragraph()
        for index, line in enumerate(lines):
            run = block.add_run(line)
            if index < len(lines) - 1:
                run.add_break()
    for paragraph in _paragraphs(body):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_marking(paragraph, marking: str, *, line_after: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if marking:
        paragraph.add_run(marking).bold = True
        if line_after:
            paragraph.add_run().add_break()


def _docx_field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in as they lay out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    shown = OxmlElement("w:t")
    shown.text = "1"
    for part in (char("begin"), instruction, char("separate"), shown, char("end")):
        paragraph.add_run()._r.append(part)


def to_pdf(recipient: str, address: str, body: str, title: str,
           head: Letterhead | None = None, *, address_block: bool = True) -> bytes:
    """An A4 PDF with the same content as the Word document."""
    head = head or Letterhead()
    pdf = _LetterPDF(head)
    pdf.set_title(title)
    pdf.set_author(head.agency or "Deter")
    pdf.set_creator("Deter")
    pdf.add_font(FONT_FAMILY, "", str(font_path()))
    pdf.add_font(FONT_FAMILY, "B", str(font_path("B")))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(auto=True, margin=28)
    pdf.add_page()
    width = pdf.epw
    _pdf_letterhead(pdf, head)
    pdf.set_font(FONT_FAMILY, "", 11)
    if address_block:
        for line in _recipient_lines(recipient, address):
            pdf.multi_cell(width, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    for line in head.meta_lines():
        pdf.multi_cell(width, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for paragraph in _paragraphs(body):
        if paragraph.strip():
            pdf.multi_cell(width, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(6)
    return bytes(pdf.output())


def _pdf_letterhead(pdf, head: Letterhead) -> None:
    """The logo at the left, the agency's name, address and phone at the right."""
    top = pdf.get_y()
    bottom = top
    if head.logo:
        pdf.image(io.BytesIO(head.logo), x=pdf.l_margin, y=top, h=20, keep_aspect_ratio=True)
        bottom = top + 20
    if head.agency:
        pdf.set_xy(pdf.l_margin, top)
        pdf.set_font(FONT_FAMILY, "B", 12)
        pdf.multi_cell(pdf.epw, 6, head.agency, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, "", 9)
        for line in head.agency_lines():
            pdf.multi_cell(pdf.epw, 5, line, align="R", new_x="LMARGIN", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    if bottom > top:
        pdf.set_y(bottom + 4)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(8)


def _letter_pdf_class():
    from fpdf import FPDF

    class LetterPDF(FPDF):
        """A4, with the marking centred at the top and foot of every page and "Page 1 of 2"
        under it (fpdf2 fills in {nb} when the document is finished)."""

        def __init__(self, head: Letterhead) -> None:
            super().__init__(format="A4")
            self.head = head

        def header(self) -> None:
            if self.head.marking:
                self.set_y(10)
                self.set_font(FONT_FAMILY, "B", 10)
                self.cell(0, 6, self.head.marking, align="C")
                self.set_y(self.t_margin)

        def footer(self) -> None:
            self.set_y(-20)
            if self.head.marking:
                self.set_font(FONT_FAMILY, "B", 10)
                self.cell(0, 5, self.head.marking, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT_FAMILY, "", 9)
            self.cell(0, 5, PAGE_OF.format(page=self.page_no(), pages="{nb}"), align="C")

    return LetterPDF


def _LetterPDF(head: Letterhead):  # noqa: N802 (a class, made when first needed)
    return _letter_pdf_class()(head)
