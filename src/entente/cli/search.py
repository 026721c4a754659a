"""``entente search``: find a value, an id or words, with filters; ``--correlate ID``.

Only Typer and the standard library are imported here: the command's own imports wait until
it runs, so ``entente --help`` does not pay for the store, the policy and the matcher.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["search"]


def search(
    query: Annotated[
        str | None,
        typer.Argument(
            metavar="[QUERY]",
            help="An IP address or CIDR block, a domain (subdomains included), URL, e-mail "
            "address, hash, STIX id, or words (name, aliases, description, labels).",
        ),
    ] = None,
    *,
    text: Annotated[
        str | None, typer.Option("--text", help="Words only (even if they look like a value).")
    ] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", "-t", help="STIX type (repeatable).")
    ] = None,
    labels: Annotated[list[str] | None, typer.Option("--label", help="Label (repeatable).")] = None,
    sources: Annotated[
        list[str] | None, typer.Option("--source", help="Source name as ingested (repeatable).")
    ] = None,
    creators: Annotated[
        list[str] | None,
        typer.Option("--creator", help="created_by_ref identity id (repeatable)."),
    ] = None,
    markings: Annotated[
        list[str] | None, typer.Option("--marking", help="Marking-definition id (repeatable).")
    ] = None,
    added_after: Annotated[
        str | None, typer.Option("--added-after", help="Added here after (date or timestamp).")
    ] = None,
    added_before: Annotated[
        str | None, typer.Option("--added-before", help="Added here before.")
    ] = None,
    modified_after: Annotated[
        str | None, typer.Option("--modified-after", help="Version modified at or after.")
    ] = None,
    modified_before: Annotated[
        str | None, typer.Option("--modified-before", help="Version modified at or before.")
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Search every version, not the latest only.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="The 'next' of the previous page.")
    ] = None,
    correlate: Annotated[
        str | None,
        typer.Option(
            "--correlate",
            metavar="ID",
            help="Where else the values of object ID appear, its sightings, and same-named "
            "entities (possibly the same; never merged).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Search the node's objects by value, id, words and filters, or correlate one object."""
    from entente.cli.output import run_command

    def body() -> int:
        from entente.bootstrap import search as search_service
        from entente.cli.context import node
        from entente.errors import InvalidInput
        from entente.services.ownership import operator_principal
        from entente.services.search import (
            decode_search_cursor,
            encode_search_cursor,
            request_fingerprint,
            search_request,
        )
        from entente.services.taxii import node_org_id

        if correlate is not None:
            return _correlate(correlate, as_json)
        if (
            query is None
            and text is None
            and not any((types, labels, sources, creators, markings, added_after, added_before))
            and modified_after is None
            and modified_before is None
        ):
            raise InvalidInput("give a QUERY, --text or at least one filter")
        request = search_request(
            query=query,
            text=text,
            types=types,
            labels=labels,
            sources=sources,
            creators=creators,
            markings=markings,
            added_after=added_after,
            added_before=added_before,
            modified_after=modified_after,
            modified_before=modified_before,
            all_versions=all_versions,
            spell=lambda name: "--" + name.replace("_", "-"),
        )
        fingerprint = request_fingerprint(request)
        after = None if cursor is None else decode_search_cursor(cursor, fingerprint)
        with node() as opened:
            service = search_service(opened)
            principal = operator_principal("cli", node_org_id(opened.settings.org_name))
            page = service.search(principal, request, after_us=after, limit=limit)
        token = (
            None
            if page.next_cursor is None
            else encode_search_cursor(page.next_cursor, fingerprint)
        )
        _print_page(page.items, token, as_json)
        return 0

    run_command(body)


def _print_page(items: Any, token: str | None, as_json: bool) -> None:
    # ``output.console`` is Rich, made on first use: a JSON answer never touches it.
    from entente.cli import output
    from entente.cli.output import print_json
    from entente.stix import format_timestamp_us

    if as_json:
        print_json(
            {
                "objects": [
                    {
                        "id": v.id,
                        "type": v.type,
                        "date_added": format_timestamp_us(v.date_added_us),
                        "source_kind": v.provenance.source_kind.value,
                        "source_name": v.provenance.source_name,
                        "object": v.to_json(),
                    }
                    for v in items
                ],
                "next": token,
            }
        )
        return
    from rich.table import Table  # a table for people only: JSON answers skip Rich

    table = Table(title=f"{len(items)} found" + (" (more: --cursor below)" if token else ""))
    for column in ("id", "type", "name / value", "source", "added"):
        table.add_column(column, overflow="fold")
    for v in items:
        obj = v.to_json()
        label = next(
            (
                obj[k]
                for k in ("name", "value", "pattern", "sighting_of_ref")
                if isinstance(obj.get(k), str)
            ),
            "",
        )
        table.add_row(
            v.id,
            v.type,
            label[:80],
            v.provenance.source_name,
            format_timestamp_us(v.date_added_us),
        )
    output.console.print(table)
    if token:
        output.console.print(f"next: --cursor {token}", highlight=False)


def _correlate(object_id: str, as_json: bool) -> int:
    from entente.bootstrap import search as search_service
    from entente.cli.context import node
    from entente.cli.output import print_json
    from entente.services.ownership import operator_principal
    from entente.services.search import describe_correlation
    from entente.services.taxii import node_org_id

    with node() as opened:
        service = search_service(opened)
        principal = operator_principal("cli", node_org_id(opened.settings.org_name))
        report = describe_correlation(service.correlate(principal, object_id))
    if as_json:
        print_json(report)
        return 0
    from entente.cli.output import console

    console.print(f"[bold]{report['id']}[/] ({report['type']})", highlight=False)
    for value in report["values"]:
        if value["common"]:
            console.print(
                f"  {value['kind']} {value['value']}: common (more than the cap), not expanded",
                highlight=False,
            )
            continue
        console.print(
            f"  {value['kind']} {value['value']}: {value['count']} other object(s)",
            highlight=False,
        )
        for o in value["occurrences"]:
            console.print(
                f"    {o['id']} from {o['source_kind']} '{o['source_name']}'", highlight=False
            )
    console.print(f"  sightings: {len(report['sightings'])}", highlight=False)
    for o in report["sightings"]:
        console.print(f"    {o['id']} from '{o['source_name']}'", highlight=False)
    if report["possibly_same"]:
        console.print("  possibly the same (same name or alias; not merged):", highlight=False)
        for o in report["possibly_same"]:
            console.print(f"    {o['id']} ({o['type']}) from '{o['source_name']}'", highlight=False)
    return 0
