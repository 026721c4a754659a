"""``entente attribution rank|assess``: ATT&CK-overlap hypotheses and ACH attributions.

Both read as the node's operator (an admin of the node's org) through the sharing policy,
as ``entente objects`` does. ``assess`` prints the ``attributed-to`` relationship it makes
and stores nothing: the case that holds the assessment stores it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from entente.attribution import ConfidenceScale, Ranking, from_confidence
from entente.bootstrap import attribution
from entente.cli.context import node, operator
from entente.cli.output import console, print_json, run_command
from entente.errors import InvalidInput, MalformedDocument

__all__ = ["app", "load_matrix", "print_ranking", "ranking_json"]

app = typer.Typer(
    help="ATT&CK-overlap hypotheses and ACH attributions with evidence.", no_args_is_help=True
)


def ranking_json(ranking: Ranking, limit: int) -> dict[str, Any]:
    return {
        "techniques": list(ranking.techniques),
        "unknown": list(ranking.unknown),
        "hypotheses": [
            {
                "id": c.id,
                "name": c.name,
                "score": round(c.score, 6),
                "direct": list(c.direct),
                "indirect": list(c.indirect),
            }
            for c in ranking.candidates[:limit]
        ],
    }


@app.command("rank")
def rank(
    techniques: Annotated[
        list[str],
        typer.Option(
            "--technique",
            "-t",
            help="An ATT&CK technique id (T0800, T1059.001) or attack-pattern id (repeatable).",
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Rank intrusion sets by the ATT&CK techniques they share with a case (hypotheses only).

    Rare techniques weigh more (IDF); techniques used through software or a campaign weigh
    half. The result offers hypotheses to weigh in an ACH matrix; it attributes nothing.
    """

    def body() -> int:
        with node() as opened:
            principal = operator(opened)
            ranking = attribution(opened).rank(principal, techniques)
        if as_json:
            print_json(ranking_json(ranking, limit))
            return 0
        print_ranking(ranking, limit)
        return 0

    run_command(body)


def print_ranking(ranking: Ranking, limit: int) -> None:
    """The hypotheses as a table (``entente attribution rank``, ``entente case hypotheses``)."""
    table = Table(title=f"Hypotheses for {len(ranking.techniques)} techniques (not asserted)")
    for column in ("rank", "intrusion set", "score", "direct", "indirect"):
        table.add_column(column)
    for position, c in enumerate(ranking.candidates[:limit], start=1):
        table.add_row(
            str(position), c.name, f"{c.score:.3f}", str(len(c.direct)), str(len(c.indirect))
        )
    console.print(table)
    if ranking.unknown:
        console.print("Not in the ATT&CK data held: " + ", ".join(ranking.unknown))


def load_matrix(path: Path) -> dict[str, Any]:
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror}") from exc
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"{path}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{path}: an ACH matrix is a JSON object")
    return document


@app.command("assess")
def assess(
    incident: Annotated[str, typer.Argument(help="The incident's STIX id.")],
    matrix: Annotated[Path, typer.Argument(help="The ACH matrix, JSON (hypotheses, evidence).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Score an ACH matrix for an incident and print its attributed-to relationship.

    The hypothesis with the least weighted inconsistent evidence leads (Heuer); the
    relationship carries the STIX confidence and cites the evidence. Nothing is stored.
    """

    def body() -> int:
        document = load_matrix(matrix)
        with node() as opened:
            principal = operator(opened)
            _, result, made = attribution(opened).assess(principal, incident, document)
        if as_json:
            print_json(
                {
                    "ranking": [
                        {
                            "hypothesis": s.hypothesis,
                            "inconsistency": round(s.inconsistency, 6),
                            "consistency": round(s.consistency, 6),
                        }
                        for s in result.ranking
                    ],
                    "confidence": result.confidence,
                    "dni": from_confidence(ConfidenceScale.DNI, result.confidence),
                    "relationship": made,
                }
            )
            return 0
        console.print(result.explanation, highlight=False)
        print_json(made)
        return 0

    run_command(body)
