"""Takedown SLAs: how long each provider gets to answer a sent report, and which reports are
overdue (issue 15 item 3). Values in, values out.

A report is overdue when it was sent and neither acknowledged nor resolved within the SLA of
its provider (the abuse contact's network owner or registrar, as RDAP names it); the
``[takedown]`` table sets a default and per-provider hours.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from entente.abuse.reports import AbuseReport, ReportStatus

__all__ = ["DEFAULT_SLA_HOURS", "Deadline", "DeadlineState", "TakedownSettings", "deadline"]

# Two days: a default of ours, not a standard (no RFC sets an abuse desk's answer time);
# ``[takedown.providers]`` sets what each provider has agreed or usually does.
DEFAULT_SLA_HOURS = 48.0
_HOUR_US = 3_600_000_000


@dataclass(frozen=True, slots=True)
class TakedownSettings:
    """``[takedown] default_sla_hours`` and ``[takedown.providers."<name>"] sla_hours``."""

    default_sla_hours: float = DEFAULT_SLA_HOURS
    providers: Mapping[str, float] = field(default_factory=dict)

    def sla_hours(self, provider: str | None) -> float:
        """The SLA of ``provider`` (its name compared without case), else the default."""
        if provider:
            wanted = provider.casefold()
            for name, hours in self.providers.items():
                if name.casefold() == wanted:
                    return hours
        return self.default_sla_hours


class DeadlineState(enum.StrEnum):
    """Where a report stands against its provider's SLA."""

    NOT_SENT = "not-sent"  # draft, approved or failed: the clock has not started
    WAITING = "waiting"  # sent, the SLA still running
    OVERDUE = "overdue"  # sent, no answer within the SLA
    ANSWERED = "answered"  # acknowledged or resolved


@dataclass(frozen=True, slots=True)
class Deadline:
    """A report's provider, SLA, when an answer is due, and its state at ``now``."""

    provider: str | None
    sla_hours: float
    due_us: int | None
    state: DeadlineState

    @property
    def overdue(self) -> bool:
        """Whether the provider is late."""
        return self.state is DeadlineState.OVERDUE


def deadline(report: AbuseReport, settings: TakedownSettings, now_us: int) -> Deadline:
    """The report's deadline: due its provider's SLA after it was (last) sent; answered once
    acknowledged or resolved, even late."""
    provider = report.contact.provider
    hours = settings.sla_hours(provider)
    sent = report.sent_at_us()
    due = None if sent is None else sent + round(hours * _HOUR_US)
    if report.status in {ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED}:
        state = DeadlineState.ANSWERED
    elif report.status is not ReportStatus.SENT or due is None:
        state = DeadlineState.NOT_SENT
    elif now_us > due:
        state = DeadlineState.OVERDUE
    else:
        state = DeadlineState.WAITING
    return Deadline(provider, hours, due, state)
