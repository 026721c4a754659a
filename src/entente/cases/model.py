"""What a case is: its type, stage and status, tasks, notes, references and merge links.

Values only; every change is a function of ``entente.cases.transitions`` that returns a new
case or raises ``InvalidInput`` with the reason.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_STATUSES",
    "REFERABLE_TYPES",
    "TASK_TEMPLATES",
    "Answer",
    "Case",
    "CaseType",
    "LegalHold",
    "Note",
    "PreservationRecord",
    "Resolution",
    "Stage",
    "StatusScheme",
    "Task",
]


class CaseType(enum.Enum):
    """What a case is about (the issue's five kinds of work a coalition does together)."""

    INCIDENT = "incident"
    REQUEST_FOR_INFORMATION = "request-for-information"
    TAKEDOWN = "takedown"
    LAW_ENFORCEMENT_REFERRAL = "law-enforcement-referral"
    JOINT_ADVISORY = "joint-advisory"


class Stage(enum.Enum):
    """Where a case is in its life; it only moves forward (new, in progress, closed)."""

    NEW = "new"
    IN_PROGRESS = "in-progress"
    CLOSED = "closed"


class Resolution(enum.Enum):
    """How a closed case ended; closing without one is refused."""

    TRUE_POSITIVE = "true-positive"
    FALSE_POSITIVE = "false-positive"
    DUPLICATE = "duplicate"
    INDETERMINATE = "indeterminate"


# The statuses a case may carry in each stage; a node passes its own ``StatusScheme``.
DEFAULT_STATUSES: Mapping[Stage, tuple[str, ...]] = {
    Stage.NEW: ("new", "triage"),
    Stage.IN_PROGRESS: ("in progress", "waiting on partner", "escalated"),
    Stage.CLOSED: ("closed",),
}


@dataclass(frozen=True, slots=True)
class StatusScheme:
    """The custom statuses allowed in each stage; the first of a stage is where it starts."""

    statuses: Mapping[Stage, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_STATUSES)

    def allowed(self, stage: Stage) -> tuple[str, ...]:
        """The statuses of ``stage`` (never empty: the stage's name stands in)."""
        return self.statuses.get(stage) or (stage.value,)

    def initial(self, stage: Stage) -> str:
        """The status a case takes when it enters ``stage``."""
        return self.allowed(stage)[0]


# The tasks a new case of each type starts with (a playbook in miniature).
TASK_TEMPLATES: Mapping[CaseType, tuple[str, ...]] = {
    CaseType.INCIDENT: (
        "Triage the alerts and confirm the incident",
        "Collect the observed data and sightings",
        "Contain and eradicate",
    ),
    CaseType.REQUEST_FOR_INFORMATION: (
        "Clarify what is asked and by when",
        "Search the node's holdings",
        "Answer the requester",
    ),
    CaseType.TAKEDOWN: (
        "Confirm the infrastructure is malicious",
        "Identify the hosting provider or registrar",
        "Send the takedown request",
        "Verify the takedown",
    ),
    CaseType.LAW_ENFORCEMENT_REFERRAL: (
        "Preserve the evidence",
        "Agree the referral with the receiving agency",
        "Hand over the evidence package",
    ),
    CaseType.JOINT_ADVISORY: (
        "Draft the advisory",
        "Review with the co-authoring partners",
        "Publish the advisory",
    ),
}

# What a case may reference by STIX id: the indicators, observed-data, sightings,
# malware, files (whose hashes identify them, STIX 2.1 §6.7) and notes.
# Attribution adds the ATT&CK techniques seen (attack-pattern: the ATT&CK-overlap ranking's
# input) and the case's ``attributed-to`` relationships (the ACH result, cited evidence and all).
REFERABLE_TYPES = frozenset(
    {
        "indicator",
        "observed-data",
        "sighting",
        "malware",
        "file",
        "note",
        "attack-pattern",
        "relationship",
    }
)


@dataclass(frozen=True, slots=True)
class Task:
    """One task of a case: who owns it, when it is due and whether (when) it was done."""

    id: str
    title: str
    owner: str | None = None
    due_us: int | None = None
    done_us: int | None = None
    result: str | None = None

    @property
    def done(self) -> bool:
        """Whether the task is done."""
        return self.done_us is not None

    def is_overdue(self, at_us: int) -> bool:
        """Whether the task is still open after its due time at ``at_us``."""
        return self.done_us is None and self.due_us is not None and at_us > self.due_us


@dataclass(frozen=True, slots=True)
class Note:
    """A note written on a case (a sender may share some of its notes and not others)."""

    id: str
    text: str
    author: str
    created_us: int


class Answer(enum.Enum):
    """How the addressee of a preservation request answered it (Budapest Convention Art. 29(3),
    (5)-(7): the requested Party preserves, may refuse, and says for how long it preserves)."""

    ACKNOWLEDGED = "acknowledged"
    PRESERVED = "preserved"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A legal hold on a case: while active, neither the case nor what it references may be
    deleted from the node (issue 15 item 5). Released holds stay on the case as its record."""

    placed_by: str
    placed_us: int
    reason: str
    released_by: str | None = None
    released_us: int | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether the hold still applies (it was not released)."""
        return self.released_us is None


@dataclass(frozen=True, slots=True)
class PreservationRecord:
    """A preservation request sent for a case (Budapest Convention Art. 29) and its answer.

    ``addressee`` names the 24/7 point of contact (Art. 35) it went to; ``pdf_sha256`` is the
    digest of the signed letter, so the record names exactly what was sent.
    """

    reference: str
    addressee: str
    sent_us: int
    pdf_sha256: str
    answer: Answer | None = None
    answered_us: int | None = None
    preserved_until_us: int | None = None
    answer_note: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    """One case as of one version: the grouping's id is the case's id.

    ``refs`` are the STIX ids the case references (its incident first is not among them: the
    incident is ``incident_id``); ``attached`` are the sightings and matching hits attached,
    a subset of ``refs``. ``merged_into`` makes the case read-only; ``merged_from`` names the
    cases a merge made this one from. ``holds`` are its legal holds (the last active one is in
    force) and ``preservation`` the preservation requests sent for it, with their answers.
    """

    id: str
    incident_id: str
    name: str
    case_type: CaseType
    stage: Stage
    status: str
    created_us: int
    modified_us: int
    description: str = ""
    resolution: Resolution | None = None
    tasks: tuple[Task, ...] = ()
    notes: tuple[Note, ...] = ()
    refs: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()
    merged_into: str | None = None
    merged_from: tuple[str, ...] = ()
    holds: tuple[LegalHold, ...] = ()
    preservation: tuple[PreservationRecord, ...] = ()

    @property
    def hold(self) -> LegalHold | None:
        """The legal hold in force on the case, if one is."""
        return next((h for h in reversed(self.holds) if h.active), None)

    def request(self, reference: str) -> PreservationRecord | None:
        """The preservation request sent under ``reference``, if the case has one."""
        return next((r for r in self.preservation if r.reference == reference), None)

    @property
    def read_only(self) -> bool:
        """Whether the case was merged into another (and so may no longer change)."""
        return self.merged_into is not None

    def task(self, task_id: str) -> Task | None:
        """The task with ``task_id``, if the case has one."""
        return next((t for t in self.tasks if t.id == task_id), None)

    def overdue(self, at_us: int) -> tuple[Task, ...]:
        """The tasks overdue at ``at_us``."""
        return tuple(t for t in self.tasks if t.is_overdue(at_us))
