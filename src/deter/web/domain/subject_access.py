"""A subject access archive: one zip of what ``queries.subject_access.gather`` found, as a
readable PDF (drawn with fpdf2 and DejaVu Sans, as letters are), as JSON, and as one CSV per
section, with a README saying what is in it and what was redacted."""

import csv
import io
import json
import zipfile
from datetime import date

from .letters import FONT_FAMILY, font_path, long_date

README = """Subject access archive for {person_id}, produced {day}.

subject-access.pdf   everything below, to read
subject-access.json  the same, machine-readable: one list of records per section
csv/SECTION.csv      the same, one spreadsheet per section

Other people are shown as "another person": their identities are theirs, not yours.
The names of staff are kept: they act for their agencies, and you are entitled to know who
recorded, decided and looked at information about you.
"""


def _csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def to_pdf(found, produced: date) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Subject access: {found.person_id}")
    pdf.set_author("Deter")
    pdf.set_creator("Deter")
    pdf.add_font(FONT_FAMILY, "", str(font_path()))
    pdf.add_font(FONT_FAMILY, "B", str(font_path("B")))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font(FONT_FAMILY, style, size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    line(f"Information held about {found.person_id}", 16, "B", 8)
    line(f"Produced on {long_date(produced)} in answer to a subject access request.")
    line(README.split("\n\n", 2)[2].replace("\n", " "))
    for section, rows in found.sections.items():
        pdf.ln(4)
        line(found.title(section), 13, "B", 7)
        if not rows:
            line("Nothing held.")
        for row in rows:
            for key, value in row.items():
                if value:
                    line(f"{_label(key)}: {value}")
            pdf.ln(2)
    return bytes(pdf.output())


def to_zip(found, produced: date) -> bytes:
    buffer = io.BytesIO()
    data = {"person_id": found.person_id, "produced": produced.isoformat(),
            "sections": {section: {"title": found.title(section), "records": rows}
                         for section, rows in found.sections.items()}}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(person_id=found.person_id,
                                                     day=long_date(produced)))
        archive.writestr("subject-access.pdf", to_pdf(found, produced))
        archive.writestr("subject-access.json", json.dumps(data, indent=2, ensure_ascii=False))
        for section, rows in found.sections.items():
            archive.writestr(f"csv/{section}.csv", _csv(rows))
    return buffer.getvalue()
