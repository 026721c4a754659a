"""Export use case: the indicators a principal may read, ready for the edge, in one format.

``ExportService.items_for`` selects, for the principal who asks, the latest version of every
stored indicator that the sharing policy lets that principal read (a partner principal gets
the partner branch of the policy, as over TAXII, with the agreement's redactions applied);
keeps the active ones (``select_active``: not revoked, within ``valid_from``/``valid_until``);
compiles each into its terms (one ``ExportItem`` per term; an indicator whose pattern values
cannot express is left out as ``NOT_DEPLOYABLE``); scores it (``score_indicator`` with the
sightings of it that the principal may read and the Admiralty reliability of where it came
from); and then leaves out, value by value, what is on a warninglist and not explicitly
allowed (``WARNINGLIST``, with the list and entry) and what scores below the minimum
(``SCORE``). A value on a warninglist is reported as such even when its score is low too: the
warninglist is the reason that matters at the edge.

A format whose main file refers to other files (Suricata's dataset and hash-list files) has
them from ``companions`` for the same selection, and each as a feed of its own from
``companion_feed``.

What the policy hides is never described to the caller: no id, no value, not even a count for
a principal of another org (a count alone tells a partner that something withheld exists).
Principals of this node's own org get one ``POLICY`` entry with the number withheld (TLP:RED
and unknown markings, which no non-individual reads), because they are the node's operators.

``ExportService.feed`` adds the entity tag of the selection: a SHA-256 of the format, the
producer and every item and left-out entry, computed before rendering so that a conditional
request whose tag still matches is answered without rendering anything. The rendered body
carries its generation time, so two exports of the same data differ in that line only: the tag
is a weak validator (RFC 9110 §8.8.1, "semantically equivalent"), and ``If-None-Match`` uses
the weak comparison (RFC 9110 §13.1.2), so it still answers 304.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound
from entente.export import (
    RENDERERS,
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    LeftOutReason,
    Rendered,
    Renderer,
)
from entente.matching.indicators import select_active
from entente.matching.model import CompiledIndicator
from entente.scoring import (
    ScoreExplanation,
    ScoringConfig,
    WarninglistSet,
    reliability_of,
    score_indicator,
)
from entente.services.tokens import org_identity_id
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal, Role, effective_tlp
from entente.stix import Tlp, format_timestamp_us
from entente.store import ObjectQuery, ObjectStore, SourceKind, StoredVersion, VersionFilter

__all__ = [
    "COMPANION_MEDIA_TYPE",
    "EXPORT_PRINCIPAL",
    "ExportService",
    "Feed",
    "Selection",
    "export_principal",
    "matches_etag",
]

EXPORT_PRINCIPAL: Final = "local:export"
"""Who reads the indicators for a local export: the node's own org, as a non-individual."""

COMPANION_MEDIA_TYPE: Final = "text/plain; charset=utf-8"
"""The media type of a companion file (one value per line)."""

_PAGE: Final = 1000
_US_PER_S: Final = 1_000_000


def export_principal(org_name: str) -> Principal:
    """The principal of ``entente export``: this node's org, an analyst, not an individual.

    As for matching, TLP:RED and unknown markings stay out: firewalls and sensors are no
    named individuals (FIRST TLP 2.0).
    """
    return Principal(
        id=EXPORT_PRINCIPAL, org=org_identity_id(org_name), role=Role.ANALYST, is_individual=False
    )


@dataclass(frozen=True, slots=True)
class Selection:
    """The items an export holds and what the selection left out, for one principal."""

    items: tuple[ExportItem, ...]
    left_out: tuple[LeftOut, ...]
    generated_us: int

    def etag(self, fmt: str, producer: str) -> str:
        """A weak entity tag (RFC 9110 §8.8.3) of this selection rendered as ``fmt``."""
        digest = hashlib.sha256()
        digest.update(orjson.dumps([fmt, producer]))
        for item in self.items:
            digest.update(
                orjson.dumps(
                    [
                        item.indicator_id,
                        item.kind,
                        item.op,
                        item.value,
                        item.score,
                        item.name,
                        item.labels,
                        item.tlp,
                        item.created_by_ref,
                        item.modified,
                    ]
                )
            )
        for left in self.left_out:
            digest.update(
                orjson.dumps([left.indicator_id, left.reason, left.detail, left.kind, left.value])
            )
        return f'W/"{digest.hexdigest()[:40]}"'


@dataclass(frozen=True, slots=True)
class Feed:
    """An export with its entity tag; ``rendered`` is ``None`` when the caller's tag matched."""

    format: str
    etag: str
    rendered: Rendered | None


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` field value names ``etag`` (weak comparison, RFC 9110
    §13.1.2: ``W/`` prefixes are ignored; ``*`` matches any current representation)."""
    if not if_none_match:
        return False
    wanted = _opaque(etag)
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or (tag and _opaque(tag) == wanted):
            return True
    return False


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


@dataclass(slots=True)
class _Seen:
    """What the selection keeps of one readable indicator version besides its compiled form."""

    obj: dict[str, Any]
    tlp: Tlp
    reliability: str | None


class ExportService:
    """Builds exports for a principal; see the module docstring."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        clock: Clock,
        org_name: str,
        context: Callable[[], NodeContext],
        warninglists: Callable[[], WarninglistSet],
        scoring: ScoringConfig,
        min_score: int = 0,
        renderers: Mapping[str, Renderer] = RENDERERS,
        referrers: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self._store = store
        # Ids of the objects whose versions reference an id (the value index's reverse
        # references: ``GraphService.referrers``), for one indicator's sightings; without it
        # ``explain`` reads every sighting.
        self._referrers = referrers
        self._clock = clock
        self._org_name = org_name
        self._org = org_identity_id(org_name)
        self._context = context
        self._warninglists = warninglists
        self._scoring = scoring
        self._reliability = _reliability_keys(scoring.sources)
        self._min_score = min_score
        self._renderers = renderers

    @property
    def formats(self) -> tuple[str, ...]:
        """The format names this service renders, sorted."""
        return tuple(sorted(self._renderers))

    @property
    def min_score(self) -> int:
        """The minimum score an exported value needs unless the caller names another."""
        return self._min_score

    def renderer(self, fmt: str) -> Renderer:
        """The renderer of ``fmt``; ``InvalidInput`` naming the known formats otherwise."""
        found = self._renderers.get(fmt)
        if found is None:
            raise InvalidInput(
                f"unknown export format {fmt!r}; known formats: {', '.join(self.formats)}"
            )
        return found

    # -- selection ----------------------------------------------------------------------------

    def items_for(
        self, principal: Principal, *, min_score: int | None = None
    ) -> tuple[tuple[ExportItem, ...], tuple[LeftOut, ...]]:
        """The items ``principal`` may have exported, and what was left out with the reason."""
        selection = self.select(principal, min_score=min_score)
        return selection.items, selection.left_out

    def select(self, principal: Principal, *, min_score: int | None = None) -> Selection:
        """The selection of ``items_for`` with the instant it was made."""
        threshold = self._min_score if min_score is None else min_score
        if not 0 <= threshold <= 100:
            raise InvalidInput(f"the minimum score must be 0-100, not {threshold}")
        now_us = self._clock.now_us()
        ctx = self._context()
        visibility = Visibility(principal, ctx)
        hidden = Counter[str]()
        sightings = _sightings_by_indicator(self._store, visibility)
        warninglists = self._warninglists()
        items: list[ExportItem] = []
        left_out: list[LeftOut] = []
        for facts in self._readable(visibility, ctx, hidden):
            # One object at a time: only the compiled form and the items are kept.
            chosen = select_active((facts.obj,), now_us)
            for refused in chosen.not_deployable:
                left_out.append(LeftOut(refused.id, LeftOutReason.NOT_DEPLOYABLE, refused.reason))
            for compiled in chosen.indicators:
                seen = sightings.get(compiled.id, ())
                # Each value decays as its own kind (an address fades faster than a file hash).
                scores = {
                    kind: self._score(facts, seen, now_us, kind).score
                    for kind in {term.kind.value for term in compiled.terms}
                }
                for entry in _entries(compiled, facts, scores, threshold, warninglists):
                    if isinstance(entry, ExportItem):
                        items.append(entry)
                    else:
                        left_out.append(entry)
        if hidden and principal.org == self._org:
            total = sum(hidden.values())
            why = ", ".join(f"{count} {reason}" for reason, count in sorted(hidden.items()))
            left_out.append(
                LeftOut(
                    "",
                    LeftOutReason.POLICY,
                    f"{total} indicator(s) the sharing policy does not let this principal "
                    f"read ({why})",
                )
            )
        items.sort(key=lambda i: (i.indicator_id, i.kind, i.op, i.value))
        left_out.sort(key=lambda o: (o.indicator_id, o.reason, o.kind or "", o.value or ""))
        return Selection(tuple(items), tuple(left_out), now_us)

    def _readable(
        self, visibility: Visibility, ctx: NodeContext, hidden: Counter[str]
    ) -> Iterator[_Seen]:
        """The latest version of each indicator the principal may read; ``hidden`` counts the
        others by why.

        Only the latest version is considered: an older one may be one its creator has since
        withdrawn (as for matching). Partners get the agreement's redacted copy.
        """
        query = ObjectQuery(types=("indicator",), versions=(VersionFilter.LAST.value,), limit=_PAGE)
        for version in self._store.iter_all(query):
            release = visibility.release(version)
            level = effective_tlp(
                version.marking_refs,
                ctx.default_marking,
                known_statement_markings=ctx.known_statement_markings,
            )
            if level is None:
                hidden["unknown marking"] += 1
                continue
            # RED never reaches a renderer (export model): only named individuals read it.
            if release is None or level is Tlp.RED:
                hidden["TLP:RED" if level is Tlp.RED else "denied"] += 1
                continue
            # The copy the policy releases: an agreement's redactions made, content under
            # granular markings the reader may not see left out.
            yield _Seen(
                obj=release.version.to_json(),
                tlp=level,
                reliability=self._reliability_of(version),
            )

    def _reliability_of(self, version: StoredVersion) -> str | None:
        """The Admiralty letter of where a version came from: the partner org that sent it, or
        the feed or file it was read from, else its creator; ``None`` when none is rated."""
        provenance = version.provenance
        # Sync records the sending partner's org id as the principal (services.federation).
        partner = provenance.principal if provenance.source_kind is SourceKind.PARTNER else None
        keys = (partner, provenance.source_name, version.created_by_ref)
        return reliability_of(self._reliability, keys)

    def _score(
        self,
        facts: _Seen,
        sightings: Sequence[Mapping[str, Any]],
        now_us: int,
        kind: str | None = None,
    ) -> ScoreExplanation:
        return score_indicator(
            facts.obj,
            now_us=now_us,
            sightings=sightings,
            reliability=facts.reliability,
            config=self._scoring,
            kind=kind,
        )

    # -- rendering ----------------------------------------------------------------------------

    def context(self, generated_us: int) -> ExportContext:
        """What a renderer may write besides the items: the time, this node's org, a serial."""
        return ExportContext(
            generated_at=format_timestamp_us(generated_us),
            producer=self._org_name,
            # Zone and feed serials (RFC 1035 §3.3.13 SERIAL) grow with every export.
            serial=generated_us // _US_PER_S,
        )

    def render(self, fmt: str, selection: Selection) -> Rendered:
        """``selection`` rendered as ``fmt``, with the selection's and the renderer's
        left-out entries together."""
        renderer = self.renderer(fmt)
        rendered = renderer.render(selection.items, self.context(selection.generated_us))
        return Rendered(
            body=rendered.body,
            media_type=rendered.media_type,
            filename=rendered.filename,
            count=rendered.count,
            left_out=selection.left_out + rendered.left_out,
        )

    def companions(self, fmt: str, selection: Selection) -> dict[str, bytes]:
        """The files ``fmt``'s main file refers to for ``selection`` (Suricata's dataset and
        hash-list files): name -> contents; empty for formats without any."""
        renderer = self.renderer(fmt)
        if renderer.companions is None:
            return {}
        files = renderer.companions(selection.items, self.context(selection.generated_us))
        return dict(sorted(files.items()))

    def export(self, fmt: str, principal: Principal, *, min_score: int | None = None) -> Rendered:
        """What ``principal`` may have exported as ``fmt`` (see the module docstring)."""
        self.renderer(fmt)
        return self.render(fmt, self.select(principal, min_score=min_score))

    def feed(
        self,
        fmt: str,
        principal: Principal,
        *,
        min_score: int | None = None,
        if_none_match: str | None = None,
    ) -> Feed:
        """``export`` with its entity tag; not rendered when ``if_none_match`` names the tag."""
        self.renderer(fmt)
        selection = self.select(principal, min_score=min_score)
        etag = selection.etag(fmt, self._org_name)
        if matches_etag(if_none_match, etag):
            return Feed(fmt, etag, None)
        return Feed(fmt, etag, self.render(fmt, selection))

    def companion_feed(
        self,
        fmt: str,
        name: str,
        principal: Principal,
        *,
        min_score: int | None = None,
        if_none_match: str | None = None,
    ) -> Feed:
        """One companion file of ``fmt`` as a feed of its own, with its entity tag;
        ``ObjectNotFound`` when the caller's export of ``fmt`` has no file of that name."""
        self.renderer(fmt)
        selection = self.select(principal, min_score=min_score)
        files = self.companions(fmt, selection)
        body = files.get(name)
        if body is None:
            raise ObjectNotFound(f"no file {name!r} in the {fmt} export")
        etag = selection.etag(f"{fmt}/{name}", self._org_name)
        if matches_etag(if_none_match, etag):
            return Feed(fmt, etag, None)
        lines = body.count(b"\n")
        return Feed(fmt, etag, Rendered(body, COMPANION_MEDIA_TYPE, name, lines))

    # -- explanation --------------------------------------------------------------------------

    def explain(self, version: StoredVersion, principal: Principal) -> ScoreExplanation:
        """How ``version`` of an indicator scores now, every step (``objects show``)."""
        visibility = Visibility(principal, self._context())
        if self._referrers is None:
            sightings = _sightings_by_indicator(self._store, visibility, version.id)
        else:
            sightings = _sightings_referring(
                self._store, visibility, version.id, self._referrers(version.id)
            )
        facts = _Seen(version.to_json(), Tlp.CLEAR, self._reliability_of(version))
        return self._score(facts, sightings.get(version.id, ()), self._clock.now_us())


def _entries(
    compiled: CompiledIndicator,
    facts: _Seen,
    scores: Mapping[str, int],
    threshold: int,
    warninglists: WarninglistSet,
) -> Iterator[ExportItem | LeftOut]:
    """Each term as an item, or as a left-out entry: warninglist first, then score."""
    modified = facts.obj.get("modified")
    for term in compiled.terms:
        kind, op = ItemKind(term.kind.value), ItemOp(term.op.value)
        score = scores[kind]
        hit = warninglists.match(kind, op, term.value)
        if hit is not None:
            yield LeftOut(compiled.id, LeftOutReason.WARNINGLIST, hit.explain(), kind, term.value)
        elif score < threshold:
            detail = f"score {score} is below the minimum {threshold}"
            yield LeftOut(compiled.id, LeftOutReason.SCORE, detail, kind, term.value)
        else:
            yield ExportItem(
                indicator_id=compiled.id,
                kind=kind,
                op=op,
                value=term.value,
                score=score,
                name=compiled.name,
                labels=compiled.labels,
                tlp=facts.tlp.label,
                created_by_ref=compiled.created_by_ref,
                modified=modified if isinstance(modified, str) else None,
            )


def _reliability_keys(reliability: Mapping[str, str]) -> dict[str, str]:
    """The ratings by every key a version may be looked up by: as written, and for a name
    that is not a STIX id, the identity id this project derives from an org name (partners'
    orgs are recorded by id in provenance)."""
    keys: dict[str, str] = {}
    for name, letter in reliability.items():
        keys[name] = letter
        if "--" not in name:
            keys.setdefault(org_identity_id(name), letter)
    return keys


def _sightings_referring(
    store: ObjectStore, visibility: Visibility, indicator: str, referrers: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """``_sightings_by_indicator(store, visibility, indicator)`` read from the ids of the
    objects that reference ``indicator``: the same latest sighting versions, in the same
    order (by date added), without reading every other sighting."""
    seen: list[tuple[int, dict[str, Any]]] = []
    ids = sorted({oid for oid in referrers if oid.startswith("sighting--")})
    for start in range(0, len(ids), _PAGE):
        chunk = tuple(ids[start : start + _PAGE])
        query = ObjectQuery(ids=chunk, versions=(VersionFilter.LAST.value,), limit=_PAGE)
        for version in store.iter_all(query):
            release = visibility.release(version)
            if release is None:
                continue
            obj = release.version.to_json()
            if obj.get("sighting_of_ref") == indicator:
                seen.append((version.date_added_us, obj))
    seen.sort(key=lambda pair: pair[0])
    return {indicator: [obj for _, obj in seen]} if seen else {}


def _sightings_by_indicator(
    store: ObjectStore, visibility: Visibility, only: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The latest version of every sighting the principal may read, by ``sighting_of_ref``."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = ObjectQuery(types=("sighting",), versions=(VersionFilter.LAST.value,), limit=_PAGE)
    for version in store.iter_all(query):
        release = visibility.release(version)
        if release is None:
            continue
        obj = release.version.to_json()
        ref = obj.get("sighting_of_ref")
        if isinstance(ref, str) and (only is None or ref == only):
            found[ref].append(obj)
    return found
