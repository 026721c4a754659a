"""MISP event reader: MISP JSON exports (MISP core format) into STIX 2.1 candidates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson

from entente.errors import InvalidPattern, MalformedDocument
from entente.ingest.candidates import Candidate
from entente.ingest.misp_attributes import (
    CUSTOM_TYPES,
    Comparison,
    UnconvertibleError,
    attribute_comparisons,
    attribute_observables,
    object_comparisons,
    object_observables,
    object_standalone,
    render_alternatives,
    render_pattern,
    standalone_comparisons,
)
from entente.ingest.misp_galaxies import (
    cluster_properties,
    clusters,
    galaxy_survey,
    mapping_list,
    misp_uuid,
    relation_verb,
)
from entente.stix.identifiers import deterministic_id
from entente.stix.markings import Tlp, marking_id_for, parse_tlp, tlp_of
from entente.stix.patterns import validate_pattern

__all__ = ["convert_event", "is_misp_document", "read_misp"]

# --- mapping tables ----------------------------------------------------------------------------

# MISP threat_level_id (MISP core format §2.2.1.1).
THREAT_LEVELS: Mapping[str, str] = MappingProxyType(
    {"1": "high", "2": "medium", "3": "low", "4": "undefined"}
)
# Free-text attribute types that become a STIX note on the report (§4.11).
NOTE_TYPES = frozenset({"text", "comment", "other"})
# Non-STIX-pattern rule languages (STIX 2.1 §10.14 pattern-type-ov). A rule has no
# observable form, so it is an indicator with its own pattern_type whatever its to_ids flag:
# carried for those who deploy the language; the matcher and exporters report it as not
# deployable (they read STIX patterns).
RULE_PATTERN_TYPES: Mapping[str, str] = MappingProxyType(
    {"yara": "yara", "snort": "snort", "sigma": "sigma", "pcre": "pcre"}
)

_MISP_SNIFF = re.compile(rb'"(?:Event|Attribute|Object|Orgc|Galaxy)"\s*:\s*[\[{]')
_RELATION_CHARS = re.compile(r"[^a-z0-9]+")


# --- small helpers -----------------------------------------------------------------------------


def _stix_time(moment: datetime) -> str:
    # STIX 2.1 §3.2: UTC, "Z", millisecond precision here.
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _epoch(value: Any) -> datetime | None:
    """A MISP ``timestamp`` (epoch seconds as string or int), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    else:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(value: Any) -> datetime | None:
    """A MISP ``first_seen``/``last_seen``/``date`` (ISO 8601), else ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _merge(old: dict[str, Any], new: Mapping[str, Any]) -> None:
    """Fold a second occurrence of one object into the first (same id within one event)."""
    for key in ("object_refs", "resolves_to_refs", "labels", "aliases"):
        if key in new:
            merged = list(old.get(key, []))
            merged.extend(v for v in new[key] if v not in merged)
            old[key] = merged
    if "object_marking_refs" in new or "object_marking_refs" in old:
        refs = list(old.get("object_marking_refs", []))
        refs.extend(v for v in new.get("object_marking_refs", []) if v not in refs)
        old["object_marking_refs"] = _strictest(refs)


def _strictest(refs: Sequence[str]) -> list[str]:
    """Keep only the most restrictive TLP among the marking ids, and every non-TLP one."""
    levels = [lvl for lvl in (tlp_of(r) for r in refs) if lvl is not None]
    others = [r for r in refs if tlp_of(r) is None]
    return ([marking_id_for(max(levels))] if levels else []) + others


# --- conversion context --------------------------------------------------------------------------


@dataclass
class _Tags:
    tlps: list[Tlp] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _tags(holder: Mapping[str, Any], covered: frozenset[str]) -> _Tags:
    """TLP levels and labels from a MISP ``Tag`` list (MISP taxonomies: tlp)."""
    result = _Tags()
    for tag in mapping_list(holder.get("Tag")):
        name = tag.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        name = name.strip()
        if name.lower().startswith("tlp:"):
            try:
                result.tlps.append(parse_tlp(name))
                continue
            except ValueError:
                pass  # tlp:ex:... and the like: keep as a label
        if name not in covered and name not in result.labels:
            result.labels.append(name)
    return result


@dataclass
class _Event:
    """Everything one event conversion accumulates; emitted in order at the end."""

    source: str
    position: str
    created_by: str | None
    created: str
    event_tlps: list[Tlp]
    caller_markings: tuple[str, ...]
    ambiguous_uuids: frozenset[str]
    covered_tags: frozenset[str]
    report_id: str | None
    objects: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    order: list[str | Candidate] = field(default_factory=list)
    uuid_to_sdo: dict[str, str] = field(default_factory=dict)
    # Galaxy cluster uuid -> its SDO id, and each cluster's GalaxyClusterRelation entries
    # (position, source SDO id, entry), resolved once every cluster of the event is made.
    cluster_sdos: dict[str, str] = field(default_factory=dict)
    cluster_relations: list[tuple[str, str, Mapping[str, Any]]] = field(default_factory=list)

    def markings(self, tlps: Iterable[Tlp] = ()) -> list[str]:
        """The object_marking_refs for an object with these TLPs plus the event's."""
        levels = [*self.event_tlps, *tlps]
        if levels:
            return [marking_id_for(max(levels))]
        return list(self.caller_markings)

    def add(self, position: str, obj: dict[str, Any]) -> str:
        """Record a produced object (merging a repeat of the same id) and return its id."""
        if "object_marking_refs" in obj and not obj["object_marking_refs"]:
            del obj["object_marking_refs"]
        object_id: str = obj["id"]
        if object_id in self.objects:
            _merge(self.objects[object_id][1], obj)
        else:
            self.objects[object_id] = (position, obj)
            self.order.append(object_id)
        return object_id

    def fail(self, position: str, reason: str) -> None:
        """Record that the item at ``position`` could not be converted."""
        self.order.append(Candidate(self.source, position, None, error=reason))

    def sdo(self, object_type: str, object_id: str, created: str, **props: Any) -> dict[str, Any]:
        """Common properties of an SDO/SRO (STIX 2.1 §3.2) made from this event."""
        obj: dict[str, Any] = {
            "type": object_type,
            "spec_version": "2.1",
            "id": object_id,
            "created": created,
            "modified": created,
        }
        if self.created_by is not None:
            obj["created_by_ref"] = self.created_by
        obj.update({k: v for k, v in props.items() if v not in (None, [], "")})
        return obj

    def relate(
        self, position: str, source: dict[str, Any], target: dict[str, Any], tlps: list[Tlp]
    ) -> None:
        """A relationship with the Appendix B verb between two produced objects (§5.1)."""
        verb, reverse = relation_verb(source["type"], target["type"])
        if reverse:
            source, target = target, source
        self.relationship(
            position,
            source_ref=source["id"],
            verb=verb,
            target_ref=target["id"],
            when=source["modified"],
            tlps=tlps,
        )

    def relationship(
        self,
        position: str,
        *,
        source_ref: str,
        verb: str,
        target_ref: str,
        when: str,
        tlps: list[Tlp],
    ) -> None:
        rel_id = deterministic_id("relationship", source_ref, verb, target_ref)
        self.add(
            position,
            self.sdo(
                "relationship",
                rel_id,
                when,
                relationship_type=verb,
                source_ref=source_ref,
                target_ref=target_ref,
                object_marking_refs=self.markings(tlps),
            ),
        )

    def emit(self) -> Iterator[Candidate]:
        """The candidates in production order."""
        for entry in self.order:
            if isinstance(entry, Candidate):
                yield entry
            else:
                position, obj = self.objects[entry]
                # The creator org's identity, galaxy SDOs and their relationships recur across
                # events with each event's timestamp: they are derived, so a later event that
                # says the same thing is a duplicate and `created` stays the first one (§3.6).
                derived = obj["type"] in _RECURRING_TYPES
                yield Candidate(self.source, position, obj, derived=derived)


_RECURRING_TYPES = frozenset(
    {
        "identity",
        "threat-actor",
        "intrusion-set",
        "malware",
        "attack-pattern",
        "tool",
        "course-of-action",
        "relationship",
    }
)


def _galaxy_sdos(
    ctx: _Event, holder: Mapping[str, Any], position: str, created: str, tlps: list[Tlp]
) -> list[dict[str, Any]]:
    """The SDOs for the galaxy clusters attached to an event or attribute."""
    produced: list[dict[str, Any]] = []
    for g, galaxy, c, cluster in clusters(holder):
        mapped = cluster_properties(galaxy, cluster, ctx.ambiguous_uuids)
        if mapped is None:
            continue
        stix_type, sdo_id, props = mapped
        sdo = ctx.sdo(stix_type, sdo_id, created, **props, object_marking_refs=ctx.markings(tlps))
        at = f"{position}.Galaxy[{g}].GalaxyCluster[{c}]"
        ctx.add(at, sdo)
        produced.append(ctx.objects[sdo_id][1])
        uid = misp_uuid(cluster.get("uuid"))
        if uid is not None and uid not in ctx.ambiguous_uuids:
            ctx.cluster_sdos[uid] = sdo_id
        for r, relation in enumerate(mapping_list(cluster.get("GalaxyClusterRelation"))):
            ctx.cluster_relations.append((f"{at}.GalaxyClusterRelation[{r}]", sdo_id, relation))
    return produced


def _cluster_relationships(ctx: _Event) -> None:
    """The relations MISP states between two clusters of this event (GalaxyClusterRelation:
    ``referenced_galaxy_cluster_type`` is the verb, e.g. ``uses``, ``subtechnique-of``) become
    relationships (§5.1). A relation to a cluster the event does not carry is left out: its
    SDO is not here, and a relationship must not point at nothing."""
    for position, source_id, relation in ctx.cluster_relations:
        target = ctx.cluster_sdos.get(
            misp_uuid(relation.get("referenced_galaxy_cluster_uuid")) or ""
        )
        if target is None or target == source_id or _truthy(relation.get("deleted")):
            continue
        verb = str(relation.get("referenced_galaxy_cluster_type", "")).lower()
        ctx.relationship(
            position,
            source_ref=source_id,
            verb=_RELATION_CHARS.sub("-", verb).strip("-") or "related-to",
            target_ref=target,
            when=ctx.objects[source_id][1]["modified"],
            tlps=[],
        )


# --- attributes and objects ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Common:
    """What an attribute or object contributes to every object made from it."""

    uuid: str | None
    created: str
    valid_from: str
    valid_until: str | None
    tags: _Tags
    comment: str | None


def _common(ctx: _Event, item: Mapping[str, Any], parts: Sequence[Mapping[str, Any]]) -> _Common:
    moment = _epoch(item.get("timestamp"))
    created = _stix_time(moment) if moment else ctx.created
    first = _iso(item.get("first_seen"))
    last = _iso(item.get("last_seen"))
    valid_from = _stix_time(first) if first else created
    valid_until = _stix_time(last) if last and (first is None or last > first) else None
    if valid_until is not None and valid_until <= valid_from:
        valid_until = None
    tags = _tags(item, ctx.covered_tags)
    for part in parts:  # a MISP object's tags live on its attributes
        extra = _tags(part, ctx.covered_tags)
        tags.tlps.extend(extra.tlps)
        tags.labels.extend(v for v in extra.labels if v not in tags.labels)
    comment = item.get("comment")
    return _Common(
        uuid=misp_uuid(item.get("uuid")),
        created=created,
        valid_from=valid_from,
        valid_until=valid_until,
        tags=tags,
        comment=comment if isinstance(comment, str) and comment.strip() else None,
    )


def _indicator(
    ctx: _Event,
    common: _Common,
    *,
    indicator_id: str,
    name: str,
    pattern: str,
    pattern_type: str,
    labels: list[str],
    context: Sequence[str] = (),
) -> dict[str, Any]:
    # What the pattern leaves out (a file's name, an address's port) stays readable here.
    description = "; ".join(p for p in (common.comment, *context) if p) or None
    return ctx.sdo(
        "indicator",
        indicator_id,
        common.created,
        name=name,
        description=description,
        indicator_types=["malicious-activity"],
        pattern=pattern,
        pattern_type=pattern_type,
        pattern_version="2.1" if pattern_type == "stix" else None,
        valid_from=common.valid_from,
        valid_until=common.valid_until,
        labels=labels,
        object_marking_refs=ctx.markings(common.tags.tlps),
    )


def _observed(
    ctx: _Event,
    common: _Common,
    *,
    position: str,
    observed_id: str,
    scos: list[dict[str, Any]],
    labels: list[str],
) -> dict[str, Any]:
    markings = ctx.markings(common.tags.tlps)
    refs: list[str] = []
    for sco in scos:
        sco["object_marking_refs"] = list(markings)
        refs.append(ctx.add(position, sco))
    first = common.valid_from
    last = common.valid_until or max(first, common.created)
    return ctx.sdo(
        "observed-data",
        observed_id,
        common.created,
        first_observed=first,
        last_observed=last,
        number_observed=1,
        object_refs=list(dict.fromkeys(refs)),
        labels=labels,
        object_marking_refs=markings,
    )


_YARA_RULE = re.compile(r"\brule\s+([A-Za-z_][A-Za-z0-9_]*)")
_SNORT_MSG = re.compile(r'\bmsg\s*:\s*"((?:[^"\\]|\\.)*)"')
_RULE_NAMES = MappingProxyType({"yara": _YARA_RULE, "snort": _SNORT_MSG})


def _rule_name(misp_type: str, rule: str) -> str:
    """A readable name for a rule: YARA's rule identifier, Snort's msg, else its first line."""
    finder = _RULE_NAMES.get(misp_type)
    found = finder.search(rule) if finder is not None else None
    if found is not None:
        return found.group(1)
    first = next((line.strip() for line in rule.splitlines() if line.strip()), misp_type)
    return first[:120]


def _attribute(ctx: _Event, attribute: Mapping[str, Any], position: str, event_uuid: str) -> None:
    """Convert one MISP attribute (MISP core format §2.3) into its STIX objects."""
    if _truthy(attribute.get("deleted")):
        ctx.fail(position, "attribute is marked deleted in MISP")
        return
    misp_type = attribute.get("type")
    value = attribute.get("value")
    if not isinstance(misp_type, str) or not isinstance(value, str | int):
        ctx.fail(position, "attribute lacks a string 'type' or 'value'")
        return
    value = str(value)
    common = _common(ctx, attribute, ())
    uid = (
        common.uuid
        or deterministic_id("x-misp", "misp-attribute", event_uuid, misp_type, value)[8:]
    )
    category = attribute.get("category")
    labels = [*common.tags.labels, f'misp:type="{misp_type}"']
    if isinstance(category, str) and category:
        labels.append(f'misp:category="{category}"')
    main: dict[str, Any] | None = None
    try:
        if misp_type == "vulnerability":
            main = ctx.sdo(
                "vulnerability",
                f"vulnerability--{uid}",
                common.created,
                name=value.strip(),
                description=common.comment,
                external_references=[{"source_name": "cve", "external_id": value.strip()}],
                labels=labels,
                object_marking_refs=ctx.markings(common.tags.tlps),
            )
        elif misp_type in NOTE_TYPES or (
            misp_type in CUSTOM_TYPES and not _truthy(attribute.get("to_ids"))
        ):
            if misp_type in CUSTOM_TYPES:
                attribute_comparisons(misp_type, value)  # a malformed value is still refused
            main = ctx.sdo(
                "note",
                f"note--{uid}",
                common.created,
                abstract=common.comment,
                content=value,
                object_refs=[ctx.report_id] if ctx.report_id else [],
                labels=labels,
                object_marking_refs=ctx.markings(common.tags.tlps),
            )
        elif _truthy(attribute.get("to_ids")) or misp_type in RULE_PATTERN_TYPES:
            context: list[str] = []
            name = value
            if misp_type in RULE_PATTERN_TYPES:
                pattern, pattern_type = value, RULE_PATTERN_TYPES[misp_type]
                name = _rule_name(misp_type, value)
            else:
                standalone = standalone_comparisons(misp_type, value)
                if standalone is not None:
                    comparisons, context = standalone
                    pattern = render_alternatives(comparisons)
                else:
                    pattern = render_pattern(attribute_comparisons(misp_type, value))
                validate_pattern(pattern)
                pattern_type = "stix"
            main = _indicator(
                ctx,
                common,
                indicator_id=f"indicator--{uid}",
                name=name,
                pattern=pattern,
                pattern_type=pattern_type,
                labels=labels,
                context=context,
            )
        else:
            scos = attribute_observables(misp_type, value)
            main = _observed(
                ctx,
                common,
                position=position,
                observed_id=f"observed-data--{uid}",
                scos=scos,
                labels=labels,
            )
    except UnconvertibleError as exc:
        ctx.fail(position, f"MISP {misp_type} attribute: {exc}")
        return
    except InvalidPattern as exc:
        ctx.fail(position, f"MISP {misp_type} attribute: {exc}")
        return
    if main["type"] == "note" and not main.get("object_refs"):
        ctx.fail(position, f"MISP {misp_type} attribute: a note needs an event to attach to")
        return
    ctx.add(position, main)
    if common.uuid is not None:
        ctx.uuid_to_sdo[common.uuid] = main["id"]
    for target in _galaxy_sdos(ctx, attribute, position, common.created, common.tags.tlps):
        ctx.relate(position, main, target, common.tags.tlps)


def _object(ctx: _Event, obj: Mapping[str, Any], position: str, event_uuid: str) -> None:
    """Convert one MISP object (MISP core format §2.4) into an indicator or observed-data."""
    if _truthy(obj.get("deleted")):
        ctx.fail(position, "object is marked deleted in MISP")
        return
    name = str(obj.get("name") or "")
    attributes = [a for a in mapping_list(obj.get("Attribute")) if not _truthy(a.get("deleted"))]
    if not name or not attributes:
        ctx.fail(position, "MISP object lacks a name or attributes")
        return
    common = _common(ctx, obj, attributes)
    uid = (
        common.uuid
        or deterministic_id(
            "x-misp", "misp-object", event_uuid, name, *(str(a.get("value")) for a in attributes)
        )[8:]
    )
    labels = [*common.tags.labels, f'misp:name="{name}"']
    meta = obj.get("meta-category")
    if isinstance(meta, str) and meta:
        labels.append(f'misp:meta-category="{meta}"')
    flagged = [a for a in attributes if _truthy(a.get("to_ids"))]
    try:
        standalone = _standalone_indicators(
            ctx, common, name=name, attributes=attributes, flagged=flagged, uid=uid, labels=labels
        )
    except (UnconvertibleError, InvalidPattern) as exc:
        ctx.fail(position, f"MISP {name} object: {exc}")
        return
    if standalone:
        for indicator in standalone:
            ctx.add(position, indicator)
        if common.uuid is not None:  # ObjectReferences to the object point at its first
            ctx.uuid_to_sdo[common.uuid] = standalone[0]["id"]
        _relate_object_galaxies(ctx, standalone, attributes, position, common)
        return
    try:
        if flagged:
            comparisons: list[Comparison] = []
            reasons: list[str] = []
            for attribute in flagged:
                try:
                    comparisons.extend(object_comparisons(name, attribute))
                except UnconvertibleError as exc:
                    reasons.append(f"{attribute.get('object_relation')}: {exc}")
            if not comparisons:
                raise UnconvertibleError("; ".join(reasons) or "no attribute maps to a pattern")
            pattern = render_pattern(comparisons)
            validate_pattern(pattern)
            main = _indicator(
                ctx,
                common,
                indicator_id=f"indicator--{uid}",
                name=name,
                pattern=pattern,
                pattern_type="stix",
                labels=labels,
            )
        else:
            scos = object_observables(name, attributes)
            main = _observed(
                ctx,
                common,
                position=position,
                observed_id=f"observed-data--{uid}",
                scos=scos,
                labels=labels,
            )
    except (UnconvertibleError, InvalidPattern) as exc:
        ctx.fail(position, f"MISP {name} object: {exc}")
        return
    ctx.add(position, main)
    if common.uuid is not None:
        ctx.uuid_to_sdo[common.uuid] = main["id"]
    _relate_object_galaxies(ctx, [main], attributes, position, common)


def _relate_object_galaxies(
    ctx: _Event,
    sources: Sequence[dict[str, Any]],
    attributes: Sequence[Mapping[str, Any]],
    position: str,
    common: _Common,
) -> None:
    """Galaxy clusters on an object's attributes, related to what the object became."""
    for a, attribute in enumerate(attributes):
        for target in _galaxy_sdos(
            ctx, attribute, f"{position}.Attribute[{a}]", common.created, common.tags.tlps
        ):
            for source in sources:
                ctx.relate(position, source, target, common.tags.tlps)


def _standalone_indicators(
    ctx: _Event,
    common: _Common,
    *,
    name: str,
    attributes: Sequence[Mapping[str, Any]],
    flagged: Sequence[Mapping[str, Any]],
    uid: str,
    labels: list[str],
) -> list[dict[str, Any]]:
    """One indicator per to_ids value that identifies the object on its own (each hash of a
    file, the domain and each address of a domain-ip), the other attributes as context; none
    when the object has no such value (it then becomes one indicator, as other objects do).

    An AND of a file's name, size and three hashes is deployable by no matcher or exporter
    (they work on one value at a time); any one of its hashes names the file."""
    values: list[tuple[Mapping[str, Any], Comparison]] = []
    for attribute in flagged:
        comparison = object_standalone(name, attribute)
        if comparison is not None:
            values.append((attribute, comparison))
    if not values:
        return []
    chosen = {id(attribute) for attribute, _ in values}
    context = [
        f"{a.get('object_relation') or a.get('type')}={a.get('value')}"
        for a in attributes
        if id(a) not in chosen and a.get("value") not in (None, "")
    ]
    indicators: list[dict[str, Any]] = []
    for attribute, comparison in values:
        pattern = render_alternatives([comparison])
        validate_pattern(pattern)
        attribute_uid = (
            misp_uuid(attribute.get("uuid"))
            or (deterministic_id("x-misp", "misp-object-value", uid, pattern)[8:])
        )
        relation = str(attribute.get("object_relation") or attribute.get("type"))
        indicators.append(
            _indicator(
                ctx,
                common,
                indicator_id=f"indicator--{attribute_uid}",
                name=f"{name} {relation}: {comparison.value}",
                pattern=pattern,
                pattern_type="stix",
                labels=labels,
                context=[f"MISP {name} object: {', '.join(context)}"] if context else [],
            )
        )
    return indicators


def _object_references(ctx: _Event, objects: Sequence[Mapping[str, Any]], position: str) -> None:
    """MISP ObjectReference entries become relationships between the objects made (§5.1)."""
    for o, obj in enumerate(objects):
        source = ctx.uuid_to_sdo.get(misp_uuid(obj.get("uuid")) or "")
        for r, ref in enumerate(mapping_list(obj.get("ObjectReference"))):
            target = ctx.uuid_to_sdo.get(misp_uuid(ref.get("referenced_uuid")) or "")
            if source is None or target is None or _truthy(ref.get("deleted")):
                continue
            verb = _RELATION_CHARS.sub("-", str(ref.get("relationship_type", "")).lower())
            verb = verb.strip("-") or "related-to"
            src_obj = ctx.objects[source][1]
            ctx.relationship(
                f"{position}.Object[{o}].ObjectReference[{r}]",
                source_ref=source,
                verb=verb,
                target_ref=target,
                when=src_obj["modified"],
                tlps=[],
            )


# --- events --------------------------------------------------------------------------------------


def _org(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """(identity id, name) of the creator org (``Orgc``, else ``Org``)."""
    for key in ("Orgc", "Org"):
        org = event.get(key)
        if isinstance(org, Mapping) and isinstance(org.get("name"), str) and org["name"].strip():
            name = org["name"].strip()
            uid = misp_uuid(org.get("uuid"))
            ident = f"identity--{uid}" if uid else deterministic_id("identity", "misp-org", name)
            return ident, name
    return None


def _event_time(event: Mapping[str, Any]) -> datetime | None:
    return (
        _epoch(event.get("timestamp"))
        or _epoch(event.get("publish_timestamp"))
        or _iso(event.get("date"))
    )


def convert_event(
    event: Mapping[str, Any], *, source: str, position: str, markings: Sequence[str] = ()
) -> Iterator[Candidate]:
    """The STIX 2.1 candidates for one MISP event; the report comes last."""
    if isinstance(event.get("Event"), Mapping):
        event = event["Event"]
    moment = _event_time(event)
    if moment is None:
        yield Candidate(source, position, None, error="MISP event has no timestamp or date")
        return
    created = _stix_time(moment)
    org = _org(event)
    ambiguous, covered = galaxy_survey(event)
    event_tags = _tags(event, covered)
    info = event.get("info")
    name = info.strip() if isinstance(info, str) and info.strip() else "MISP event"
    event_uuid = misp_uuid(event.get("uuid"))
    report_id = (
        f"report--{event_uuid}"
        if event_uuid
        else deterministic_id("report", "misp-event", org[1] if org else "", name, created)
    )
    ctx = _Event(
        source=source,
        position=position,
        created_by=org[0] if org else None,
        created=created,
        event_tlps=event_tags.tlps,
        caller_markings=tuple(markings),
        ambiguous_uuids=ambiguous,
        covered_tags=covered,
        report_id=report_id,
    )
    if org is not None:
        ctx.add(
            position,
            ctx.sdo(
                "identity",
                org[0],
                created,
                name=org[1],
                identity_class="organization",
                object_marking_refs=ctx.markings(),
            ),
        )
    _convert_items(ctx, event, position, event_uuid or report_id)
    # Event-level galaxies say what the event is about, not how the clusters relate to each
    # other: an actor and five malware tags on one event do not state that the actor uses each
    # malware (MISP core format §2.2: Galaxy on Event). The SDOs are kept and the report lists
    # them (its object_refs, STIX 2.1 §4.14); no relationship is invented between them.
    _galaxy_sdos(ctx, event, position, created, [])
    _cluster_relationships(ctx)
    yield from ctx.emit()
    report = _report(
        ctx, event, report_id=report_id, name=name, tags=event_tags, event_uuid=event_uuid
    )
    if report is None:
        yield Candidate(source, position, None, error="MISP event has nothing to report")
    else:
        yield Candidate(source, position, report)


def _members(ctx: _Event, holder: Mapping[str, Any], key: str, position: str) -> list[Any]:
    """The ``key`` list of a MISP holder (``Attribute``, ``Object``); anything else but an
    absent or empty value is one failure at its position, and no members."""
    value = holder.get(key)
    if isinstance(value, list):
        return value
    if value:
        ctx.fail(f"{position}.{key}" if position else key, f"{key} is not a JSON array")
    return []


def _convert_items(ctx: _Event, holder: Mapping[str, Any], position: str, scope: str) -> None:
    for a, attribute in enumerate(_members(ctx, holder, "Attribute", position)):
        pos = f"{position}.Attribute[{a}]" if position else f"Attribute[{a}]"
        if isinstance(attribute, Mapping):
            _attribute(ctx, attribute, pos, scope)
        else:
            ctx.fail(pos, "attribute is not a JSON object")
    objects = _members(ctx, holder, "Object", position)
    for o, obj in enumerate(objects):
        pos = f"{position}.Object[{o}]" if position else f"Object[{o}]"
        if isinstance(obj, Mapping):
            _object(ctx, obj, pos, scope)
        else:
            ctx.fail(pos, "object is not a JSON object")
    _object_references(ctx, mapping_list(objects), position)


def _report(
    ctx: _Event,
    event: Mapping[str, Any],
    *,
    report_id: str,
    name: str,
    tags: _Tags,
    event_uuid: str | None,
) -> dict[str, Any] | None:
    """The STIX report (§4.14) standing for the event itself."""
    published = _epoch(event.get("publish_timestamp"))
    if published is None or published.timestamp() == 0:
        published = _iso(event.get("date")) or _event_time(event)
    labels = list(tags.labels)
    level = THREAT_LEVELS.get(str(event.get("threat_level_id", "")))
    if level is not None:
        labels.append(f'misp:threat-level="{level}"')
    refs = [
        {"source_name": "misp", "external_id": event_uuid}
        if event_uuid
        else {"source_name": "misp", "description": "MISP event without uuid"}
    ]
    object_refs = [entry for entry in ctx.order if isinstance(entry, str) and entry != report_id]
    if not object_refs:  # §4.14: object_refs must not be empty
        return None
    assert published is not None
    return ctx.sdo(
        "report",
        report_id,
        ctx.created,
        name=name,
        report_types=["threat-report"],
        published=_stix_time(published),
        object_refs=object_refs,
        labels=labels,
        external_references=refs,
        object_marking_refs=ctx.markings(),
    )


# --- documents -----------------------------------------------------------------------------------

_EVENT_KEYS = frozenset({"info", "uuid", "Orgc", "Org", "date", "threat_level_id"})


def _collect(doc: Any, events: list[Mapping[str, Any]], loose: list[Mapping[str, Any]]) -> None:
    """Find events (and loose attribute/object collections) in any MISP export shape."""
    if isinstance(doc, list):
        for item in doc:
            _collect(item, events, loose)
        return
    if not isinstance(doc, Mapping):
        raise MalformedDocument(f"expected a MISP event object, found {type(doc).__name__}")
    if "response" in doc:
        _collect(doc["response"], events, loose)
    elif isinstance(doc.get("Event"), Mapping | list):
        _collect(doc["Event"], events, loose)
    elif _EVENT_KEYS & doc.keys():
        events.append(doc)
    elif isinstance(doc.get("Object"), Mapping):
        loose.append({"Object": [doc["Object"]]})
    elif isinstance(doc.get("Attribute"), Mapping):
        loose.append({"Attribute": [doc["Attribute"]]})
    elif isinstance(doc.get("Attribute"), list) or isinstance(doc.get("Object"), list):
        loose.append(doc)
    else:
        keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
        raise MalformedDocument(
            f"not a MISP export: no Event, Attribute or Object found (keys: {keys})"
        )


def read_misp(data: bytes, *, source: str, markings: Sequence[str] = ()) -> Iterator[Candidate]:
    """Read a MISP JSON export (event, event list, restSearch response) into candidates."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"{source}: not valid MISP JSON: {exc}") from exc
    events: list[Mapping[str, Any]] = []
    loose: list[Mapping[str, Any]] = []
    try:
        _collect(doc, events, loose)
    except MalformedDocument as exc:
        raise MalformedDocument(f"{source}: {exc}") from None
    for i, event in enumerate(events):
        yield from convert_event(event, source=source, position=f"Event[{i}]", markings=markings)
    if loose:
        yield from _convert_loose(loose, source, markings)


def _convert_loose(
    collections: Sequence[Mapping[str, Any]], source: str, markings: Sequence[str]
) -> Iterator[Candidate]:
    """Attributes and objects exported without their event: no org, no report."""
    ctx = _Event(
        source=source,
        position="",
        created_by=None,
        created=_stix_time(datetime.fromtimestamp(0, UTC)),
        event_tlps=[],
        caller_markings=tuple(markings),
        # Set below, from the members that are lists.
        ambiguous_uuids=frozenset(),
        covered_tags=frozenset(),
        report_id=None,
    )
    attributes = [a for c in collections for a in _members(ctx, c, "Attribute", "")]
    objects = [o for c in collections for o in _members(ctx, c, "Object", "")]
    holder = {"Attribute": attributes, "Object": objects}
    ctx.ambiguous_uuids, ctx.covered_tags = galaxy_survey(holder)
    _convert_items(ctx, holder, "", "misp-collection")
    _cluster_relationships(ctx)
    yield from ctx.emit()


def is_misp_document(head: bytes) -> bool:
    """Whether the first bytes look like a MISP JSON export (for format sniffing)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith((b"{", b"[")):
        return False
    if b'"spec_version"' in text or b'"type": "bundle"' in text or b'"type":"bundle"' in text:
        return False
    return _MISP_SNIFF.search(text) is not None
