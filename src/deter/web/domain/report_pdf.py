"""The programme report as an A4 PDF: the same tables as the page, charts as PNG (a PDF
cannot draw the SVG's text), in DejaVu Sans as letters are (``letters.font_path``)."""

from __future__ import annotations

import io

from .letters import FONT_FAMILY, font_path


def to_pdf(title: str, lines: list[str], tables: list, images: list[tuple[bytes, str]],
           marking: str = "OFFICIAL-SENSITIVE") -> bytes:
    """``tables``: objects with ``title``, ``headers``, ``rows`` and ``note``
    (``queries.programme_report.Table``); ``images``: (PNG, caption)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_title(title)
    pdf.set_author("Deter")
    pdf.set_creator("Deter")
    pdf.add_font(FONT_FAMILY, "", str(font_path()))
    pdf.add_font(FONT_FAMILY, "B", str(font_path("B")))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 9)
    pdf.cell(pdf.epw, 5, marking, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.multi_cell(pdf.epw, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    for line in lines:
        pdf.multi_cell(pdf.epw, 5, line, new_x="LMARGIN", new_y="NEXT")
    for png, caption in images:
        pdf.ln(3)
        pdf.image(io.BytesIO(png), w=pdf.epw * 0.8)
        pdf.set_font(FONT_FAMILY, "", 8)
        pdf.multi_cell(pdf.epw, 4, caption, new_x="LMARGIN", new_y="NEXT")
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    for table in tables:
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, "B", 12)
        pdf.multi_cell(pdf.epw, 7, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, "", 8)
        if not table.rows:
            pdf.multi_cell(pdf.epw, 5, "None.", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(headings_style=heading, line_height=5) as grid:
            for cells in [table.headers, *table.rows]:
                row = grid.row()
                for cell in cells:
                    row.cell(cell)
        if table.note:
            pdf.set_font(FONT_FAMILY, "", 7)
            pdf.multi_cell(pdf.epw, 4, table.note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
