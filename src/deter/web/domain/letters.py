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
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError

PLACEHOLDERS: dict[str, str] = {
    "recipient": "The name of the person the letter is to",
    "address": "Their address, as typed when the letter is written",
    "date": "Today's date, like 22 November 2026",
    "programme": "The programme's name",
    "area": "The programme's area",
    "lead_professional": "The person's lead professional",
    "support_offer": "The help on offer, from the person's plan",
    "consequence": "What happens after further violence, from the person's plan",
    "sender": "The name of the person writing the letter",
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


def to_docx(recipient: str, address: str, body: str, title: str) -> bytes:
    """A Word document: the recipient and address block, then the letter's text."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "Deter"
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(12)
    block = document.add_paragraph()
    lines = [recipient, *[line for line in _paragraphs(address) if line.strip()]]
    for index, line in enumerate(lines):
        run = block.add_run(line)
        if index < len(lines) - 1:
            run.add_break()
    for paragraph in _paragraphs(body):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def to_pdf(recipient: str, address: str, body: str, title: str) -> bytes:
    """An A4 PDF with the same content as the Word document."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("Deter")
    pdf.set_creator("Deter")
    pdf.add_font(FONT_FAMILY, "", str(font_path()))
    pdf.add_font(FONT_FAMILY, "B", str(font_path("B")))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "", 11)
    width = pdf.epw
    pdf.multi_cell(width, 6, recipient, new_x="LMARGIN", new_y="NEXT")
    for line in _paragraphs(address):
        if line.strip():
            pdf.multi_cell(width, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for paragraph in _paragraphs(body):
        if paragraph.strip():
            pdf.multi_cell(width, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(6)
    return bytes(pdf.output())
