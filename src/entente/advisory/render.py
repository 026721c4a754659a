"""The human advisory, laid out like a CISA/FBI joint Cybersecurity Advisory.

The sections of the joint advisories CISA publishes with its partners (e.g. AA23-136A,
AA24-038A): a title block naming the co-sealing agencies, the TLP label at the top and bottom
of every page (FIRST TLP 2.0: "in the header and footer"), "Summary", "Technical Details" with
a note naming the ATT&CK release, a "MITRE ATT&CK Tactics and Techniques" table (tactic,
technique title, ID, use), "Indicators of Compromise", "Mitigations", "Resources",
"Disclaimer" and "Acknowledgements". ``render_markdown`` and ``render_pdf`` say the same
things; neither reads a clock, so the same advisory gives the same bytes.
"""

from __future__ import annotations

from entente.advisory.model import Advisory
from entente.evidence.pdf import Banner, Block, Heading, Paragraph, Table, render_document
from entente.stix import Tlp

__all__ = ["render_markdown", "render_pdf", "sections"]

# TLP 2.0 (FIRST, "TLP labels"): the label's colour on black; CLEAR is white.
_TLP_COLOURS = {
    Tlp.CLEAR: (1.0, 1.0, 1.0),
    Tlp.GREEN: (0.2, 1.0, 0.0),
    Tlp.AMBER: (1.0, 0.753, 0.0),
    Tlp.AMBER_STRICT: (1.0, 0.753, 0.0),
    Tlp.RED: (1.0, 0.169, 0.169),
}

_DISCLAIMER = (
    'The information in this report is provided "as is" for informational purposes only. '
    "The authoring agencies do not endorse any commercial entity, product, company, or "
    "service, including any entities, products, or services linked within this document."
)


def _label(advisory: Advisory) -> str:
    return f"TLP:{advisory.tlp.label.upper()}"


def _sealers(advisory: Advisory) -> str:
    names = [advisory.draft.author.name, *(a.name for a in advisory.draft.coauthors)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _attack_note(advisory: Advisory) -> str:
    if not advisory.releases:
        return "This advisory cites no MITRE ATT&CK technique."
    return (
        "Note: This advisory uses the MITRE ATT&CK framework, "
        + " and ".join(advisory.releases)
        + ". See the MITRE ATT&CK Tactics and Techniques section for a table of the threat "
        "actors' activity mapped to MITRE ATT&CK tactics and techniques."
    )


def sections(advisory: Advisory) -> list[Block]:
    """The advisory as blocks: what both renderings show, in order."""
    draft = advisory.draft
    blocks: list[Block] = [
        Heading(draft.title, level=0),
        Paragraph(f"Joint Cybersecurity Advisory, {draft.created[:10]}", bold=True),
        Paragraph(f"Co-sealed by {_sealers(advisory)}."),
        Paragraph(f"STIX report {advisory.report_id}"),
        Heading("Summary"),
        *(Paragraph(p) for p in _paragraphs(draft.summary)),
        Heading("Technical Details"),
        Paragraph(_attack_note(advisory), bold=True),
        *(Paragraph(p) for p in _paragraphs(draft.technical_details)),
    ]
    if advisory.techniques:
        blocks += [
            Heading("MITRE ATT&CK Tactics and Techniques", level=2),
            Table(
                ("Tactic", "Technique Title", "ID", "Use"),
                tuple(
                    (", ".join(row.tactics), row.name, row.attack_id, row.use)
                    for row in advisory.techniques
                ),
                (0.18, 0.24, 0.1, 0.48),
            ),
        ]
    blocks.append(Heading("Indicators of Compromise", level=2))
    if advisory.iocs:
        blocks.append(
            Table(
                ("Type", "Value", "Indicator", "Valid from"),
                tuple(
                    (
                        ioc.kind,
                        ioc.value,
                        ioc.indicator_name or ioc.indicator_id,
                        ioc.valid_from[:10],
                    )
                    for ioc in advisory.iocs
                ),
                (0.15, 0.42, 0.3, 0.13),
            )
        )
    else:
        blocks.append(Paragraph("This advisory lists no indicator of compromise."))
    blocks.append(Heading("Mitigations"))
    blocks.append(
        Paragraph(
            "The authoring agencies recommend the following mitigations to reduce the risk "
            "of compromise by this activity."
        )
    )
    for mitigation in advisory.mitigations:
        head = f"{mitigation.attack_id} {mitigation.name}" if mitigation.attack_id else ""
        tail = f" (mitigates {', '.join(mitigation.mitigates)})" if mitigation.mitigates else ""
        text = f"{head}{tail}: {mitigation.description}" if head else mitigation.description
        blocks.append(Paragraph(text, bullet=True))
    if not advisory.mitigations:
        blocks.append(Paragraph("No mitigation is recorded for this activity.", bullet=True))
    blocks += [
        Heading("Resources"),
        Paragraph(
            "MITRE ATT&CK: https://attack.mitre.org/ ("
            + (", ".join(advisory.releases) or "no release cited")
            + ")",
            bullet=True,
        ),
        Paragraph(
            f"The machine-readable advisory: STIX 2.1 report {advisory.report_id} in "
            "advisory.json, with every object it names.",
            bullet=True,
        ),
        Heading("Disclaimer"),
        Paragraph(_DISCLAIMER),
        Heading("Acknowledgements"),
        Paragraph(f"This advisory was written and sealed jointly by {_sealers(advisory)}."),
    ]
    return blocks


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _cell(text: str) -> str:
    # GFM tables: a pipe inside a cell is escaped, a line break ends the row.
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(advisory: Advisory) -> str:
    """The advisory as Markdown (CommonMark with GFM tables), TLP label first and last."""
    label = _label(advisory)
    out = [f"**{label}**", ""]
    for block in sections(advisory):
        if isinstance(block, Heading):
            out += ["#" * (block.level + 1) + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            text = f"**{block.text}**" if block.bold else block.text
            out += [f"- {text}" if block.bullet else text, ""]
        elif isinstance(block, Table):
            out.append("| " + " | ".join(block.headers) + " |")
            out.append("|" + "|".join("---" for _ in block.headers) + "|")
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
    out += [f"**{label}**", ""]
    return "\n".join(out)


def render_pdf(advisory: Advisory) -> bytes:
    """The advisory as a PDF: the same blocks, the TLP banner on every page."""
    banner = Banner(_label(advisory), _TLP_COLOURS[advisory.tlp])
    return render_document(sections(advisory), banner=banner, footer=advisory.draft.title)
