"""The one place that builds concrete adapters from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from entente.clock import Clock, SystemClock
from entente.config import HUNT_HITS_FILE, Settings
from entente.errors import ConfigurationError
from entente.federation import NodeKey, load_or_create_key
from entente.services.node import ensure_builtin_markings
from entente.store import (
    AgreementStore,
    AuditStore,
    CheckpointStore,
    DashboardCounts,
    MatchRunStore,
    ObjectStore,
    PartnerRecord,
    PartnerStore,
    SearchIndex,
    SessionStore,
    SignatureStore,
    StatusStore,
    SyncReportStore,
    TokenStore,
    UserStore,
)
from entente.store.sql import open_store
from entente.store.sql_audit import SqlAuditStore
from entente.store.sql_dashboard import SqlDashboardCounts
from entente.store.sql_federation import (
    SqlAgreementStore,
    SqlCheckpointStore,
    SqlPartnerStore,
    SqlSyncReportStore,
)
from entente.store.sql_runs import SqlMatchRunStore
from entente.store.sql_search import SqlSearchIndex
from entente.store.sql_signatures import SqlSignatureStore
from entente.store.sql_status import SqlStatusStore
from entente.store.sql_tokens import SqlTokenStore
from entente.store.sql_users import SqlSessionStore, SqlUserStore

if TYPE_CHECKING:
    from entente.abuse import Resolver
    from entente.matching import Engine, IndicatorSet
    from entente.services import IngestService, TaxiiService
    from entente.services.abuse import AbuseService, ContactFinder, Relay
    from entente.services.advisories import AdvisoryService
    from entente.services.advisory_desk import AdvisoryDesk
    from entente.services.advisory_publication import AdvisoryPublication
    from entente.services.approvals import ApprovalService
    from entente.services.attack_matrix import AttackMatrixService
    from entente.services.attribution import AttributionService
    from entente.services.audit_log import AuditLog
    from entente.services.audit_queries import AuditQueries
    from entente.services.case_custody import CaseCustodyService
    from entente.services.case_evidence import CaseEvidenceService, TsaConfig
    from entente.services.cases import CaseService
    from entente.services.dashboard import DashboardService
    from entente.services.export import ExportService
    from entente.services.federation import FederationService
    from entente.services.graph import GraphService
    from entente.services.hits import HitsService
    from entente.services.legal_holds import LegalHolds
    from entente.services.matching import FileMatcher, HuntReport, MatchService
    from entente.services.node_signer import NodeSigner
    from entente.services.object_history import ObjectVersions
    from entente.services.partner_overview import PartnerOverviewService
    from entente.services.preservation import PreservationService
    from entente.services.search import SearchService
    from entente.services.users import UserService
    from entente.services.warninglist_store import WarninglistStore
    from entente.sharing import NodeContext
    from entente.taxii.client import TaxiiClient

__all__ = [
    "Node",
    "abuse",
    "advisories",
    "advisory_desk",
    "approvals",
    "audit_log",
    "audit_queries",
    "case_custody",
    "case_evidence",
    "dashboard",
    "ensure_home",
    "exports",
    "federation",
    "hits",
    "legal_holds",
    "matching",
    "node_signer",
    "open_node",
    "operator_ingest",
    "partner_overview",
    "preservation",
    "scheduled_hunt",
    "taxii",
    "tsa_config",
    "users",
    "warninglists",
]

# Sync reads partners' pages of 1,000 objects; a slow partner gets this long per request.
_PARTNER_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Node:
    """A node's adapters, built from its settings."""

    settings: Settings
    store: ObjectStore
    clock: Clock
    tokens: TokenStore
    statuses: StatusStore
    key: NodeKey
    partners: PartnerStore
    agreements: AgreementStore
    checkpoints: CheckpointStore
    sync_reports: SyncReportStore
    search: SearchIndex
    users: UserStore
    ui_sessions: SessionStore
    dashboard_counts: DashboardCounts
    match_runs: MatchRunStore
    audit: AuditStore
    signatures: SignatureStore


def ensure_home(home: Path) -> None:
    """Create ``ENTENTE_HOME`` if it is missing, mode 0700: it holds the node's keys, its
    settings and (on SQLite) its database. A home that exists keeps the mode it has."""
    try:
        home.parent.mkdir(parents=True, exist_ok=True)
        home.mkdir(mode=0o700)
    except FileExistsError:
        if not home.is_dir():
            raise ConfigurationError(f"ENTENTE_HOME {home} is not a directory") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot create ENTENTE_HOME {home}: {exc}") from exc


@contextmanager
def open_node(
    settings: Settings, clock: Clock | None = None, *, schema: str | None = None
) -> Iterator[Node]:
    """Open the node's store (creating and migrating it as needed) for the block's duration.

    ``schema`` (PostgreSQL only) confines the store to one schema, as ``open_store`` does.
    """
    clock = clock or SystemClock()
    ensure_home(settings.home)
    store = open_store(settings.database_url, clock, schema=schema)
    try:
        ensure_builtin_markings(store, clock)
        key, _ = load_or_create_key(settings.key_path)
        engine = store.engine
        yield Node(
            settings=settings,
            store=store,
            clock=clock,
            tokens=SqlTokenStore(engine, clock),
            statuses=SqlStatusStore(engine),
            key=key,
            partners=SqlPartnerStore(engine),
            agreements=SqlAgreementStore(engine),
            checkpoints=SqlCheckpointStore(engine),
            sync_reports=SqlSyncReportStore(engine),
            search=SqlSearchIndex(engine),
            users=SqlUserStore(engine),
            ui_sessions=SqlSessionStore(engine),
            dashboard_counts=SqlDashboardCounts(engine),
            match_runs=SqlMatchRunStore(engine),
            audit=SqlAuditStore(engine),
            signatures=SqlSignatureStore(engine),
        )
    finally:
        store.close()


def audit_log(node: Node) -> AuditLog:
    """The node's audit and custody logs, signed by and checked against the node's key."""
    from entente.services.audit_log import AuditLog

    trusted = {node.key.public_key_text: node.key.public_key}
    return AuditLog(node.audit, node.key, node.clock, trusted=trusted)


def audit_queries(node: Node) -> AuditQueries:
    """ "Who saw this?" for a node's staff: its audit log through its sharing policy."""
    from entente.services.audit_queries import AuditQueries

    return AuditQueries(log=audit_log(node), store=node.store, context=_context(node))


def _connect(partner: PartnerRecord) -> TaxiiClient:
    """A TAXII client for a partner, presenting the token it issued to this node."""
    # Imported here: httpx costs every command that opens the node ~0.4 s at start-up.
    from entente.taxii.client import TaxiiClient

    return TaxiiClient(partner.api_root, auth=partner.token, timeout=_PARTNER_TIMEOUT_S)


def federation(node: Node) -> FederationService:
    """The federation use cases over a node's adapters."""
    from entente.services.federation import FederationService

    return FederationService(
        store=node.store,
        partners=node.partners,
        agreements=node.agreements,
        checkpoints=node.checkpoints,
        reports=node.sync_reports,
        clock=node.clock,
        org_name=node.settings.org_name,
        key=node.key,
        default_marking=node.settings.default_marking,
        connect=_connect,
    )


def operator_ingest(node: Node, principal: str) -> IngestService:
    """The ingest service of this node's own operator (the CLI): an admin of the node's org.

    It may ingest third-party content, but content a partner org created only as that org
    signed it, and new versions of a partner's objects only with its signature
    (``entente.sharing.ownership``).
    """
    from entente.services import IngestService
    from entente.services.ownership import OwnershipScreen, operator_principal
    from entente.sharing import WriteContext

    service = federation(node)
    keys = service.partner_keys()
    ctx = WriteContext(node_org=service.org_id, partner_orgs=frozenset(keys))
    screen = OwnershipScreen(operator_principal(principal, service.org_id), ctx, keys)
    return IngestService(node.store, node.clock, principal=principal, ownership=screen)


def _context(node: Node) -> Callable[[], NodeContext]:
    """The node's policy context as of each call (agreements and tokens may change)."""
    from entente.services import node_context, node_org_id
    from entente.services.statement_markings import StatementMarkings

    settings = node.settings
    agreements = federation(node).agreements
    statements = StatementMarkings(node.store)

    def context() -> NodeContext:
        return node_context(
            node_org=node_org_id(settings.org_name),
            tokens=node.tokens,
            agreements=agreements(),
            default_marking=settings.default_marking,
            now_us=node.clock.now_us(),
            statement_markings=statements(),
        )

    return context


def _engine(indicators: IndicatorSet) -> Engine:
    """The columnar engine, built; the build's temporaries are given back before the scan."""
    from entente.matching import Engine
    from entente.matching.memory import release_free_memory

    engine = Engine(indicators)
    release_free_memory()
    return engine


def matching(node: Node) -> MatchService:
    """The matching and hunting use cases over a node's adapters, with the columnar engine and
    the node's warninglists (applied as exports apply them)."""
    # Imported here, as the web stack is for ``serve``: DuckDB, pyarrow and numpy cost every
    # other command a third of a second at start-up.
    from entente.services.matching import MatchService

    settings = node.settings
    return MatchService(
        store=node.store,
        clock=node.clock,
        org_name=settings.org_name,
        default_marking=settings.default_marking,
        context=_context(node),
        matcher_factory=_engine,
        hunt_state=settings.hunt_state_path,
        warninglists=warninglists(settings).current,
        runs=node.match_runs,
    )


@contextmanager
def spark_matcher(master: str, conf: list[str]) -> Iterator[FileMatcher]:
    """A matcher that reads and matches log files on Spark (``master``: ``local[*]``,
    ``spark://host:7077``...; ``conf``: ``key=value`` Spark settings), its session stopped on
    exit (ADR 0023)."""
    # Imported here: pyspark costs every other command its import, and a JVM only this one.
    from entente.matching.spark import SparkMatcher, parse_conf, spark_session

    with spark_session(master, parse_conf(conf)) as session:
        yield SparkMatcher(session)


def scheduled_hunt(node: Node) -> Callable[[], HuntReport] | None:
    """The retro-hunt ``serve`` repeats every ``hunt_interval`` seconds, or ``None`` when no
    archive is configured or the interval is 0.

    Each run hunts ``hunt_archive`` as ``entente hunt`` does (only what earlier hunts have not
    reported: new or grown files, and old files only for indicators that arrived since),
    appends the new hits to ``$ENTENTE_HOME/hunt-hits.jsonl`` and stores sightings, which sync
    then shares under the agreements.
    """
    from entente.matching import JsonLinesHitWriter

    settings = node.settings
    if not settings.hunt_archive or settings.hunt_interval <= 0:
        return None
    service = matching(node)
    hits_path = settings.home / HUNT_HITS_FILE

    def run() -> HuntReport:
        with hits_path.open("ab") as stream, JsonLinesHitWriter(stream) as writer:
            return service.hunt(
                settings.hunt_archive, principal="system:serve", hit_sink=writer.write
            )

    return run


def warninglists(settings: Settings) -> WarninglistStore:
    """The node's warninglists: imported ones, the defaults (unless turned off), allowed values."""
    from entente.services.warninglist_store import WarninglistStore

    return WarninglistStore(
        settings.warninglists_path,
        settings.warninglist_allow_path,
        defaults=settings.default_warninglists,
    )


def search(node: Node) -> SearchService:
    """Search and correlation over a node's indexes, through its sharing policy."""
    from entente.services.search import SearchService

    return SearchService(store=node.store, index=node.search, context=_context(node))


def graph(node: Node) -> GraphService:
    """Neighbourhoods of objects over a node's indexes, through its sharing policy."""
    from entente.services.graph import GraphService

    return GraphService(store=node.store, index=node.search, context=_context(node))


def object_versions(node: Node) -> ObjectVersions:
    """Objects' histories (versions and diffs) through a node's sharing policy."""
    from entente.services.object_history import ObjectVersions

    return ObjectVersions(store=node.store, context=_context(node))


def attack_matrix(node: Node) -> AttackMatrixService:
    """ATT&CK matrices of what a node holds, counted through its sharing policy."""
    from entente.services.attack_matrix import AttackMatrixService
    from entente.services.graph import GraphService

    context = _context(node)
    neighbours = GraphService(store=node.store, index=node.search, context=context)
    return AttackMatrixService(store=node.store, graph=neighbours, context=context)


def attribution(node: Node) -> AttributionService:
    """ATT&CK-overlap hypotheses and ACH attributions over a node, through its sharing policy."""
    from entente.services.attribution import AttributionService
    from entente.services.graph import GraphService

    context = _context(node)
    neighbours = GraphService(store=node.store, index=node.search, context=context)
    return AttributionService(store=node.store, graph=neighbours, context=context, clock=node.clock)


def dashboard(node: Node) -> DashboardService:
    """The dashboard's figures over a node's counters and sync reports, through its policy."""
    from entente.services.dashboard import DashboardService

    return DashboardService(
        store=node.store,
        counts=node.dashboard_counts,
        partners=node.partners,
        reports=node.sync_reports,
        context=_context(node),
        clock=node.clock,
    )


def hits(node: Node) -> HitsService:
    """Recent matching runs from a node's run log, through its sharing policy."""
    from entente.services.hits import HitsService

    return HitsService(store=node.store, runs=node.match_runs, context=_context(node))


def partner_overview(node: Node) -> PartnerOverviewService:
    """A node's partners, their sync history and its agreements, for its own staff."""
    from entente.services.partner_overview import PartnerOverviewService

    return PartnerOverviewService(
        partners=node.partners,
        reports=node.sync_reports,
        checkpoints=node.checkpoints,
        agreements=federation(node).agreements,
        context=_context(node),
        clock=node.clock,
    )


def exports(node: Node) -> ExportService:
    """The export use cases over a node's adapters, its warninglists and its scoring settings."""
    from entente.services.export import ExportService

    settings = node.settings
    return ExportService(
        store=node.store,
        clock=node.clock,
        org_name=settings.org_name,
        context=_context(node),
        warninglists=warninglists(settings).current,
        scoring=settings.scoring,
        min_score=settings.export_min_score,
        referrers=lambda oid: graph(node).referrers(oid, bound=None)[0],
    )


def taxii(node: Node) -> TaxiiService:
    """The read and write use cases of TAXII and REST over a node's adapters: every read
    through the sharing policy (``entente objects list`` reads with it as the operator)."""
    from entente.services import TaxiiService

    service = federation(node)
    settings = node.settings
    return TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=settings.collections,
        org_name=settings.org_name,
        default_marking=settings.default_marking,
        agreements=service.agreements,
        signer=node_signer(node),
        partner_keys=service.partner_keys,
        holds=legal_holds(node).holds_on,
    )


def node_signer(node: Node) -> NodeSigner:
    """What signs this node's objects for partners: once, in signed batches, kept (ADR 0025),
    or each object on every read when ``signed_batches`` is off."""
    from entente.services.node_signer import NodeSigner
    from entente.services.tokens import org_identity_id

    signatures = node.signatures if node.settings.signed_batches else None
    return NodeSigner(org_identity_id(node.settings.org_name), node.key, signatures=signatures)


def legal_holds(node: Node) -> LegalHolds:
    """The legal holds of a node's cases, found through its reference index (issue 15)."""
    from entente.services.legal_holds import LegalHolds

    return LegalHolds(
        store=node.store, referrers=lambda oid: graph(node).referrers(oid, bound=None)[0]
    )


def preservation(node: Node, case_service: CaseService | None = None) -> PreservationService:
    """Preservation requests from a node's cases, signed by its key, addressed to the 24/7
    points of contact of its settings (``case_service``: the one the caller already serves)."""
    from entente.services.preservation import PreservationService

    return PreservationService(
        cases=case_service or cases(node),
        taxii=taxii(node),
        contacts=node.settings.preservation_contacts,
        node_key=node.key,
        node_name=node.settings.org_name,
        clock=node.clock,
    )


def cases(node: Node) -> CaseService:
    """Cases over a node: written through its TAXII/REST write path, read through the policy."""
    from entente.services.cases import CaseService

    # Custody events (acquired, viewed, transferred) go into the case's signed custody log.
    return CaseService(
        taxii=taxii(node),
        search=search(node),
        store=node.store,
        clock=node.clock,
        custody=audit_log(node).record_custody,
    )


def approvals(node: Node) -> ApprovalService:
    """Approvals of outbound actions (issue 15 item 1): requests and signed approvals as STIX
    through the node's write path, checked against its own key and its partners' keys."""
    from entente.services.approvals import ApprovalService

    service = federation(node)
    log = audit_log(node) if node.settings.audit_log else None
    return ApprovalService(
        taxii=taxii(node),
        store=node.store,
        clock=node.clock,
        key=node.key,
        org_id=service.org_id,
        policies=node.settings.approvals,
        org_keys=service.partner_keys,
        referrers=lambda oid: graph(node).referrers(oid, bound=None)[0],
        audit=None if log is None else log.record,
    )


def abuse(
    node: Node,
    *,
    contacts: ContactFinder | None = None,
    relay: Relay | None = None,
    resolver: Resolver | None = None,
) -> AbuseService:
    """Abuse reports over a node: the RDAP client (``contacts``), the SMTP relay and the
    resolver are the caller's (it owns their connections); with no ``contacts`` given, the
    RDAP lookup ``[abuse]`` configures (``RdapLookup``, the same for the CLI and the app),
    and with no ``relay``, the one ``[abuse]`` configures, if any."""
    from entente.abuse.dns import system_resolver
    from entente.abuse.rdap_client import RdapLookup
    from entente.abuse.smtp import SmtpRelay
    from entente.services.abuse import AbuseService

    settings = node.settings.abuse
    if contacts is None:
        contacts = RdapLookup(settings.rdap_bootstrap_url, settings.rdap_timeout)
    if relay is None and settings.smtp_host is not None:
        relay = SmtpRelay(settings)
    return AbuseService(
        taxii=taxii(node),
        store=node.store,
        clock=node.clock,
        settings=settings,
        contacts=contacts,
        relay=relay,
        resolver=resolver or system_resolver,
        takedown=node.settings.takedown,
        referrers=lambda oid: graph(node).referrers(oid, bound=None)[0],
    )


def case_evidence(node: Node, case_service: CaseService | None = None) -> CaseEvidenceService:
    """Attribution, hypotheses and evidence packages for a node's cases (``case_service``:
    the one the caller already serves, so that changes of a case stay serialised)."""
    from entente.services.case_evidence import CaseEvidenceService

    return CaseEvidenceService(
        cases=case_service or cases(node),
        taxii=taxii(node),
        attribution=attribution(node),
        graph=graph(node),
        audit=audit_log(node),
        node_key=node.key,
        node_name=node.settings.org_name,
        clock=node.clock,
    )


def advisories(node: Node) -> AdvisoryService:
    """Joint advisories drafted from what a node holds (through its policy), signed by its key."""
    from entente.services.advisories import AdvisoryService

    return AdvisoryService(
        store=node.store,
        graph=graph(node),
        cases=cases(node),
        partners=node.partners,
        context=_context(node),
        node_key=node.key,
        node_name=node.settings.org_name,
        clock=node.clock,
    )


def advisory_publication(node: Node) -> AdvisoryPublication:
    """Joint advisories' approvals (asked, given with a co-signature, required) and their
    publishing to a collection through the node's write path (issue 15 items 1 and 4)."""
    from entente.services import node_org_id
    from entente.services.advisory_publication import AdvisoryPublication

    log = audit_log(node) if node.settings.audit_log else None
    return AdvisoryPublication(
        advisories=advisories(node),
        approvals=approvals(node),
        taxii=taxii(node),
        store=node.store,
        node_org=node_org_id(node.settings.org_name),
        audit=None if log is None else log.record,
    )


def advisory_desk(node: Node) -> AdvisoryDesk:
    """A node's drafted joint advisories, kept under its home until published (REST, UI)."""
    from entente.services.advisory_desk import ADVISORY_FOLDER, AdvisoryDesk

    return AdvisoryDesk(
        folder=node.settings.home / ADVISORY_FOLDER,
        advisories=advisories(node),
        publication=advisory_publication(node),
        approvals=approvals(node),
        graph=graph(node),
        store=node.store,
        context=_context(node),
        taxii=taxii(node),
        partners=node.partners,
    )


def case_custody(node: Node, case_service: CaseService | None = None) -> CaseCustodyService:
    """The custody logs of a node's cases as its operators are shown them (``case_service``:
    the one the caller already serves)."""
    from entente.services import node_org_id
    from entente.services.case_custody import CaseCustodyService

    return CaseCustodyService(
        cases=case_service or cases(node),
        audit=audit_log(node),
        node_org=node_org_id(node.settings.org_name),
    )


def tsa_config(settings: Settings) -> TsaConfig | None:
    """The time-stamping authority of ``settings`` (``tsa_url``, ``tsa_chain_file``), or None
    when none is configured; read when an export asks, so a replaced chain file counts.

    One construction for every export (the CLI's ``evidence export`` and the case's evidence
    page); ``ConfigurationError`` when the chain file cannot be read."""
    from entente.evidence.tsa_client import HttpTimestamper
    from entente.services.case_evidence import TsaConfig

    if settings.tsa_url is None or settings.tsa_chain_file is None:
        return None
    try:
        chain_pem = settings.tsa_chain_file.read_bytes()
    except OSError as exc:
        problem = f"tsa_chain_file {settings.tsa_chain_file}: {exc.strerror}"
        raise ConfigurationError(problem) from exc
    return TsaConfig(HttpTimestamper(settings.tsa_url), chain_pem)


def users(node: Node, node_secret: bytes) -> UserService:
    """The user accounts and web sessions of a node; ``node_secret`` (its ``cursor.key``)
    seals the users' TOTP keys (ADR 0009)."""
    # Imported here: argon2 and cryptography cost start-up that most commands need not pay.
    from entente.accounts import TotpSealer, argon2id_hasher
    from entente.services.users import UserService

    return UserService(
        users=node.users,
        sessions=node.ui_sessions,
        clock=node.clock,
        sealer=TotpSealer(node_secret),
        hasher=argon2id_hasher(),
        # The name the authenticator app shows beside the code: the node's org.
        issuer=node.settings.org_name,
    )
