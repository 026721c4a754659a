"""Admin actions taken from the command line go into the node's audit log (issue 14, item 3).

The actor is the node's own operator (``local:<login>``, an admin of the node's org, as for
what it ingests); the channel is ``cli``. The command has done its work when this runs, so the
entry says what was done; it is appended before the command reports success.
"""

from __future__ import annotations

from entente.audit import Actor, EntryDraft
from entente.bootstrap import Node, audit_log
from entente.cli.context import cli_principal
from entente.services import node_org_id

__all__ = ["record_admin_action"]


def record_admin_action(
    opened: Node,
    action: str,
    details: dict[str, str | int | bool | None],
    object_ids: tuple[str, ...] = (),
) -> None:
    """Append ``action`` (``user.add``, ``agreement.remove``...) with what it changed."""
    actor = Actor(cli_principal(), node_org_id(opened.settings.org_name), "admin")
    draft = EntryDraft(actor, f"admin.{action}", "cli", object_ids, details=details)
    audit_log(opened).record([draft])
