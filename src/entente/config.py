"""Settings from the environment and ``$ENTENTE_HOME/entente.toml``; read only at the edges."""

from __future__ import annotations

import os
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from entente.abuse import (
    DEFAULT_RDAP_BOOTSTRAP,
    DEFAULT_SLA_HOURS,
    AbuseSettings,
    TakedownSettings,
)
from entente.accounts.oidc import OidcConfig
from entente.approvals import ActionType, Policy, default_policies, parse_policies
from entente.errors import ConfigurationError, InvalidInput
from entente.ingest.review import OwnAddresses
from entente.preservation.contacts import Contact, parse_contacts
from entente.scoring import ScoringConfig, parse_reliability, parse_scoring_config
from entente.services.collections import CollectionDef, collection_uuid
from entente.services.tokens import org_identity_id
from entente.services.warninglist_store import ALLOW_FILE, WARNINGLIST_DIR
from entente.stix import Tlp, is_valid_id, parse_tlp

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_EXPORT_MIN_SCORE",
    "DEFAULT_HUNT_INTERVAL",
    "DEFAULT_MAX_CONTENT_LENGTH",
    "DEFAULT_ORG_NAME",
    "DEFAULT_PUBLIC_URL",
    "DEFAULT_SYNC_INTERVAL",
    "HUNT_HITS_FILE",
    "HUNT_STATE_FILE",
    "KEY_FILE",
    "Settings",
    "load_settings",
    "parse_collections",
    "render_settings",
    "without_password",
]

CONFIG_FILE = "entente.toml"
DEFAULT_ORG_NAME = "Entente node"
# TAXII 2.1 §4.2.1 max_content_length advertised in the API root: 10 MiB.
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
DEFAULT_SYNC_INTERVAL = 300.0
# ``serve`` hunts the archive this often; a hunt reads only files that changed and, for the
# others, only when new indicators have arrived, so a quiet hour costs a few stat calls.
DEFAULT_HUNT_INTERVAL = 900.0
KEY_FILE = "node.key"
HUNT_STATE_FILE = "hunt-state.json"
# Where ``serve``'s scheduled hunts append their new hits (JSON Lines).
HUNT_HITS_FILE = "hunt-hits.jsonl"
# Exports leave out values whose score is below this: 1 keeps out only what has decayed to 0
# (past its kind's lifetime with no sighting since) or has confidence 0.
DEFAULT_EXPORT_MIN_SCORE = 1
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_ROLES = frozenset({"admin", "analyst", "reader", "partner"})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a node needs to know to build its adapters."""

    home: Path
    database_url: str
    default_marking: Tlp = Tlp.AMBER_STRICT  # architecture §2: unmarked fails closed
    org_name: str = DEFAULT_ORG_NAME
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    # Empty: the default collections of ``entente.services.taxii``.
    collections: tuple[CollectionDef, ...] = ()
    # The base URL partners reach this node at (printed in its partner card).
    public_url: str = DEFAULT_PUBLIC_URL
    # Seconds between the sync runs ``serve`` makes with every partner; 0 turns them off.
    sync_interval: float = DEFAULT_SYNC_INTERVAL
    # Paths, directories and globs of the log archive ``entente hunt`` matches; empty: none.
    hunt_archive: tuple[str, ...] = ()
    # Seconds between the retro-hunts ``serve`` runs over ``hunt_archive``; 0 turns them off.
    hunt_interval: float = DEFAULT_HUNT_INTERVAL
    # Whether this node signs its org's objects once, in signed batches (ADR 0025); off, it
    # signs each object on every partner read, as before (partners on older versions, and
    # the per-object baseline of bench/federation.py).
    signed_batches: bool = True
    # Exports (``entente export``, ``/feeds/``): the minimum score of an exported value.
    export_min_score: int = DEFAULT_EXPORT_MIN_SCORE
    # Whether the shipped warninglists apply besides the imported ones.
    default_warninglists: bool = True
    # The ``[scoring]`` table; its ``sources`` (with ``ENTENTE_SOURCE_RELIABILITY``) rate
    # each source or partner org with an Admiralty letter.
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    # The reporting CERT's own networks and domains (``own_networks``, ``own_domains``): the
    # review of free text leaves them out (``entente.ingest.review``).
    own_addresses: OwnAddresses = field(default_factory=OwnAddresses)
    # The ``[oidc]`` table: single sign-on with one OpenID Connect provider; None: none.
    oidc: OidcConfig | None = None
    # Whether reads of non-CLEAR content and admin actions go into the audit log (issue 14);
    # off only to measure its cost (bench/audit.py).
    audit_log: bool = True
    # The RFC 3161 time-stamping authority evidence packages are stamped by (issue 14 item 4)
    # and the PEM file of its certificate chain (written into each package); None: no TSA,
    # and ``entente evidence export`` refuses unless told ``--no-timestamp``.
    tsa_url: str | None = None
    tsa_chain_file: Path | None = None
    # The ``[approvals]`` table (issue 15 item 1): the m-of-n policy of each outbound action
    # type; a type it does not name needs four-eyes (two distinct approvers, not the requester).
    approvals: Mapping[ActionType, Policy] = field(default_factory=default_policies)
    # The ``[abuse]`` table (issue 15 item 2): the SMTP relay abuse reports go through, who
    # reports them, and where the RDAP bootstrap registries are read.
    abuse: AbuseSettings = field(default_factory=AbuseSettings)
    # The ``[takedown]`` table (issue 15 item 3): the hours a provider has to answer a sent
    # abuse report before the report (and its takedown case) shows overdue.
    takedown: TakedownSettings = field(default_factory=TakedownSettings)
    # ``[[preservation.contacts]]``: the 24/7 points of contact (Budapest Convention Art. 35)
    # that preservation requests are addressed to; empty: none, and requests are refused.
    preservation_contacts: tuple[Contact, ...] = ()

    @property
    def source_reliability(self) -> Mapping[str, str]:
        """Admiralty letter per source name, org name or org identity id."""
        return self.scoring.sources

    @property
    def key_path(self) -> Path:
        """This node's Ed25519 signing key (PKCS#8 PEM, mode 0600)."""
        return self.home / KEY_FILE

    @property
    def config_path(self) -> Path:
        """Where this node's TOML settings live."""
        return self.home / CONFIG_FILE

    @property
    def hunt_state_path(self) -> Path:
        """What ``entente hunt`` has already hunted (``entente.services.matching``)."""
        return self.home / HUNT_STATE_FILE

    @property
    def warninglists_path(self) -> Path:
        """Where imported warninglists are kept (``entente.services.warninglist_store``)."""
        return self.home / WARNINGLIST_DIR

    @property
    def warninglist_allow_path(self) -> Path:
        """The values the operator allowed although a warninglist names them."""
        return self.home / ALLOW_FILE


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings: environment first, then ``entente.toml`` in the home, then defaults."""
    env = os.environ if environ is None else environ
    home_text = env.get("ENTENTE_HOME") or str(Path.home() / ".local" / "share" / "entente")
    home = Path(home_text).expanduser()
    file_values: dict[str, object] = {}
    config_path = home / CONFIG_FILE
    if config_path.is_file():
        try:
            file_values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{config_path}: not valid TOML: {exc}") from exc
    url = env.get("ENTENTE_DATABASE_URL") or file_values.get("database_url")
    if url is None:
        url = f"sqlite:///{home / 'entente.db'}"
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(f"database_url {url!r} is not a database URL")
    marking = env.get("ENTENTE_DEFAULT_MARKING") or file_values.get("default_marking")
    default_marking = Tlp.AMBER_STRICT
    if marking is not None:
        try:
            default_marking = parse_tlp(str(marking))
        except ValueError as exc:
            raise ConfigurationError(f"default_marking: {exc}") from exc
    org_name = env.get("ENTENTE_ORG") or file_values.get("org_name") or DEFAULT_ORG_NAME
    if not isinstance(org_name, str) or not org_name.strip():
        raise ConfigurationError("org_name must be a non-empty string")
    tsa_url, tsa_chain_file = _tsa(env, file_values, home)
    max_length = file_values.get("max_content_length", DEFAULT_MAX_CONTENT_LENGTH)
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
        raise ConfigurationError("max_content_length must be a positive integer")
    return Settings(
        home=home,
        database_url=url,
        default_marking=default_marking,
        org_name=org_name.strip(),
        max_content_length=max_length,
        collections=parse_collections(file_values.get("collections", [])),
        public_url=_public_url(env, file_values),
        sync_interval=_interval("sync_interval", DEFAULT_SYNC_INTERVAL, env, file_values),
        hunt_archive=_hunt_archive(env, file_values),
        hunt_interval=_interval("hunt_interval", DEFAULT_HUNT_INTERVAL, env, file_values),
        export_min_score=_export_min_score(env, file_values),
        default_warninglists=_default_warninglists(env, file_values),
        scoring=_scoring(env, file_values),
        own_addresses=_own_addresses(env, file_values),
        oidc=_oidc(env, file_values, home),
        audit_log=_flag("audit_log", True, env, file_values),
        signed_batches=_flag("signed_batches", True, env, file_values),
        tsa_url=tsa_url,
        tsa_chain_file=tsa_chain_file,
        approvals=_approvals(file_values),
        abuse=_abuse(env, file_values),
        takedown=_takedown(file_values),
        preservation_contacts=_preservation_contacts(file_values),
    )


def _preservation_contacts(file_values: Mapping[str, object]) -> tuple[Contact, ...]:
    """The ``[preservation]`` table's ``contacts`` (``[[preservation.contacts]]``), each
    checked (``preservation.parse_contacts``); a wrong one stops the node at start-up."""
    table = file_values.get("preservation", {})
    if not isinstance(table, dict):
        raise ConfigurationError("preservation must be a table ([preservation])")
    unknown = sorted(set(table) - {"contacts"})
    if unknown:
        raise ConfigurationError(f"preservation: unknown key(s) {', '.join(unknown)}")
    try:
        return parse_contacts(table.get("contacts", []))
    except InvalidInput as exc:
        raise ConfigurationError(str(exc)) from None


def _abuse(env: Mapping[str, str], file_values: Mapping[str, object]) -> AbuseSettings:
    """The ``[abuse]`` table; ``ENTENTE_SMTP_HOST``/``_PORT``/``_USERNAME``/``_PASSWORD`` win
    over it (the password is best kept out of the file)."""
    table = file_values.get("abuse", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[abuse] must be a table")

    def text(key: str, env_name: str | None = None) -> str | None:
        value = (env.get(env_name) if env_name else None) or table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"abuse.{key} must be a non-empty string")
        return value.strip()

    port_value = env.get("ENTENTE_SMTP_PORT") or table.get("smtp_port", 587)
    try:
        port = int(str(port_value))
    except ValueError:
        port = 0
    if isinstance(port_value, bool) or not 0 < port < 65536:
        raise ConfigurationError(f"abuse.smtp_port {port_value!r} is not a TCP port")
    starttls = table.get("smtp_starttls", True)
    if not isinstance(starttls, bool):
        raise ConfigurationError("abuse.smtp_starttls must be true or false")
    evidence_tlp = Tlp.GREEN
    if (evidence := text("evidence_tlp")) is not None:
        try:
            evidence_tlp = parse_tlp(evidence)
        except ValueError as exc:
            raise ConfigurationError(f"abuse.evidence_tlp: {exc}") from None
        if evidence_tlp is Tlp.RED:
            raise ConfigurationError(
                "abuse.evidence_tlp cannot be red: TLP:RED never leaves its recipients (TLP 2.0)"
            )
    bootstrap = text("rdap_bootstrap_url") or DEFAULT_RDAP_BOOTSTRAP
    if not bootstrap.startswith(("https://", "http://")):
        raise ConfigurationError(f"abuse.rdap_bootstrap_url {bootstrap!r} must be an http(s) URL")
    return AbuseSettings(
        smtp_host=text("smtp_host", "ENTENTE_SMTP_HOST"),
        smtp_port=port,
        smtp_starttls=starttls,
        smtp_username=text("smtp_username", "ENTENTE_SMTP_USERNAME"),
        smtp_password=text("smtp_password", "ENTENTE_SMTP_PASSWORD"),
        reporter_org=text("reporter_org") or "",
        reporter_email=text("reporter_email") or "",
        reporter_domain=text("reporter_domain") or "",
        rdap_bootstrap_url=bootstrap,
        evidence_tlp=evidence_tlp,
    )


def _hours(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{where} must be a positive number of hours, not {value!r}")
    return float(value)


def _takedown(file_values: Mapping[str, object]) -> TakedownSettings:
    """The ``[takedown]`` table: ``default_sla_hours`` and ``[takedown.providers."<name>"]
    sla_hours``, the provider named as RDAP names the network owner or registrar."""
    table = file_values.get("takedown", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[takedown] must be a table")
    unknown = sorted(set(table) - {"default_sla_hours", "providers"})
    if unknown:
        raise ConfigurationError(f"takedown: unknown key(s) {', '.join(unknown)}")
    default = _hours(
        table.get("default_sla_hours", DEFAULT_SLA_HOURS),
        "takedown.default_sla_hours",
    )
    providers = table.get("providers", {})
    if not isinstance(providers, Mapping):
        raise ConfigurationError("[takedown.providers] must be a table of providers")
    hours: dict[str, float] = {}
    for name, entry in providers.items():
        where = f'takedown.providers."{name}"'
        if not isinstance(entry, Mapping) or set(entry) != {"sla_hours"}:
            raise ConfigurationError(f"{where} must be a table with sla_hours only")
        hours[str(name)] = _hours(entry["sla_hours"], f"{where}.sla_hours")
    return TakedownSettings(default, hours)


def _org_id(org: str) -> str:
    """An org named in the config: its identity id as written, or the id of the org name
    (the derivation tokens and partner cards use: ``services.tokens.org_identity_id``)."""
    return org if is_valid_id(org, "identity") else org_identity_id(org)


def _approvals(file_values: Mapping[str, object]) -> dict[ActionType, Policy]:
    """The ``[approvals]`` table: ``[approvals.<action-type>]`` with ``min_approvals``,
    ``required_orgs``, ``approver_orgs`` (org names or identity ids),
    ``requester_may_approve``."""
    try:
        return parse_policies(file_values.get("approvals", {}), _org_id)
    except InvalidInput as exc:
        raise ConfigurationError(f"{CONFIG_FILE}: {exc}") from exc


def _tsa(
    env: Mapping[str, str], file_values: Mapping[str, object], home: Path
) -> tuple[str | None, Path | None]:
    """``tsa_url`` (``ENTENTE_TSA_URL``) and ``tsa_chain_file`` (``ENTENTE_TSA_CHAIN``,
    relative to the home): both or neither, the URL http(s) (RFC 3161 §3.4)."""
    url = env.get("ENTENTE_TSA_URL") or file_values.get("tsa_url")
    chain = env.get("ENTENTE_TSA_CHAIN") or file_values.get("tsa_chain_file")
    if url is None and chain is None:
        return None, None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"tsa_url {url!r} must be an http(s) URL")
    if not isinstance(chain, str) or not chain:
        raise ConfigurationError("tsa_url needs tsa_chain_file: the TSA's certificate chain (PEM)")
    return url, home / Path(chain).expanduser()


def _text_table(table: Mapping[str, object], key: str) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigurationError(f"oidc.{key} must be a table of strings ([oidc.{key}])")
    return {str(k): str(v) for k, v in value.items()}


def _oidc(
    env: Mapping[str, str], file_values: Mapping[str, object], home: Path
) -> OidcConfig | None:
    """The ``[oidc]`` table; its client secret from ``ENTENTE_OIDC_CLIENT_SECRET`` or the
    first line of ``client_secret_file`` (relative to the home), never from the file itself:
    ``entente.toml`` is not a place for secrets."""
    table = file_values.get("oidc")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigurationError("oidc must be a table ([oidc])")
    if "client_secret" in table:
        raise ConfigurationError(
            "oidc.client_secret may not be written in entente.toml: use client_secret_file "
            "or ENTENTE_OIDC_CLIENT_SECRET"
        )
    secret = env.get("ENTENTE_OIDC_CLIENT_SECRET") or ""
    secret_file = table.get("client_secret_file")
    if not secret and isinstance(secret_file, str):
        path = home / Path(secret_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"oidc.client_secret_file: cannot read {path}: {exc}"
            ) from None
        secret = lines[0].strip() if lines else ""
    strings = {}
    for key in ("issuer", "client_id", "org_claim", "role_claim", "provider_name"):
        value = table.get(key, "")
        if not isinstance(value, str):
            raise ConfigurationError(f"oidc.{key} must be a string")
        strings[key] = value.strip()
    scopes = table.get("scopes", ["openid", "profile", "email"])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ConfigurationError("oidc.scopes must be a list of strings")
    return OidcConfig(
        issuer=strings["issuer"].rstrip("/"),
        client_id=strings["client_id"],
        client_secret=secret,
        org_claim=strings["org_claim"],
        role_claim=strings["role_claim"],
        orgs=_text_table(table, "orgs"),
        roles=_text_table(table, "roles"),
        scopes=tuple(str(s) for s in scopes),
        provider_name=strings["provider_name"] or "single sign-on",
    )


def _own_addresses(env: Mapping[str, str], file_values: Mapping[str, object]) -> OwnAddresses:
    """``own_networks`` and ``own_domains``: ``ENTENTE_OWN_NETWORKS`` / ``ENTENTE_OWN_DOMAINS``
    (separated by commas or spaces), else lists (or such strings) in the file."""
    networks = _word_list("own_networks", env, file_values)
    domains = _word_list("own_domains", env, file_values)
    try:
        OwnAddresses.parse(networks, ())
    except ValueError as exc:
        raise ConfigurationError(f"own_networks: {exc}") from None
    try:
        return OwnAddresses.parse(networks, domains)
    except ValueError as exc:
        raise ConfigurationError(f"own_domains: {exc}") from None


def _word_list(key: str, env: Mapping[str, str], file_values: Mapping[str, object]) -> list[str]:
    # Empty means unset, as for every other ENTENTE_* variable.
    value: object = env.get(f"ENTENTE_{key.upper()}") or None
    if value is None:
        value = file_values.get(key, [])
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ConfigurationError(
        f"{key} {value!r} must be a list of strings, or one string of them separated by commas"
    )


def _export_min_score(env: Mapping[str, str], file_values: Mapping[str, object]) -> int:
    value: object = env.get("ENTENTE_EXPORT_MIN_SCORE") or None
    if value is None:
        value = file_values.get("export_min_score", DEFAULT_EXPORT_MIN_SCORE)
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > 100:
        raise ConfigurationError(f"export_min_score {value!r} must be an integer from 0 to 100")
    return int(text)


def _flag(
    key: str, default: bool, env: Mapping[str, str], file_values: Mapping[str, object]
) -> bool:
    """A true/false setting: ``ENTENTE_<KEY>`` first, else ``key`` in the file."""
    variable = f"ENTENTE_{key.upper()}"
    text = (env.get(variable) or "").strip().lower()
    if text:
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigurationError(
            f"{variable} {text!r} must be one of {', '.join(sorted(_TRUE))} "
            f"or {', '.join(sorted(_FALSE))}"
        )
    value = file_values.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{key} {value!r} must be true or false")
    return value


def _default_warninglists(env: Mapping[str, str], file_values: Mapping[str, object]) -> bool:
    text = (env.get("ENTENTE_DEFAULT_WARNINGLISTS") or "").strip().lower()
    if text:
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigurationError(
            f"ENTENTE_DEFAULT_WARNINGLISTS {text!r} must be one of {', '.join(sorted(_TRUE))} "
            f"or {', '.join(sorted(_FALSE))}"
        )
    value = file_values.get("default_warninglists", True)
    if not isinstance(value, bool):
        raise ConfigurationError(f"default_warninglists {value!r} must be true or false")
    return value


def _scoring(env: Mapping[str, str], file_values: Mapping[str, object]) -> ScoringConfig:
    """The ``[scoring]`` table, with ``ENTENTE_SOURCE_RELIABILITY`` (``name=A,name=B``)
    rating sources on top of its ``sources``: the environment wins for a name in both."""
    table = file_values.get("scoring", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("scoring must be a table ([scoring])")
    config = parse_scoring_config(table)
    text = env.get("ENTENTE_SOURCE_RELIABILITY") or ""
    if not text.strip():
        return config
    sources = dict(config.sources)
    for part in text.split(","):
        if not part.strip():
            continue
        name, equals, letter = part.partition("=")
        if not equals or not name.strip():
            raise ConfigurationError(
                f"ENTENTE_SOURCE_RELIABILITY: {part.strip()!r} is not name=LETTER"
            )
        try:
            sources[name.strip()] = parse_reliability(letter, f"source_reliability.{name.strip()}")
        except InvalidInput as exc:
            raise ConfigurationError(str(exc)) from None
    return replace(config, sources=sources)


def _public_url(env: Mapping[str, str], file_values: Mapping[str, object]) -> str:
    value = env.get("ENTENTE_PUBLIC_URL") or file_values.get("public_url") or DEFAULT_PUBLIC_URL
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"public_url {value!r} must be an http(s) URL")
    return value.rstrip("/")


def _interval(
    key: str, default: float, env: Mapping[str, str], file_values: Mapping[str, object]
) -> float:
    """Seconds between runs of a ``serve`` job: ``ENTENTE_<KEY>``, else ``key`` in the file."""
    # Empty means unset, as for every other ENTENTE_* variable.
    value: object = env.get(f"ENTENTE_{key.upper()}") or None
    if value is None:
        value = file_values.get(key, default)
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= 0 or seconds == float("inf"):
        raise ConfigurationError(f"{key} {value!r} must be a number of seconds >= 0")
    return seconds


def _hunt_archive(env: Mapping[str, str], file_values: Mapping[str, object]) -> tuple[str, ...]:
    # Empty means unset, as for every other ENTENTE_* variable. The variable holds several
    # entries separated by os.pathsep, like PATH; the file may hold that string or a list.
    value: object = env.get("ENTENTE_HUNT_ARCHIVE") or None
    if value is None:
        value = file_values.get("hunt_archive", [])
    if isinstance(value, str):
        entries: list[str] = value.split(os.pathsep)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        entries = [str(v) for v in value]
    else:
        raise ConfigurationError(
            f"hunt_archive {value!r} must be a list of paths or globs, or one string of them "
            f"separated by {os.pathsep!r}"
        )
    return tuple(str(Path(entry).expanduser()) for entry in entries if entry)


def _strings(entry: Mapping[str, object], name: str, default: frozenset[str]) -> frozenset[str]:
    value = entry.get(name)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"collections.{name} must be a list of strings")
    return frozenset(str(v) for v in value)


def parse_collections(value: object) -> tuple[CollectionDef, ...]:
    """The ``[[collections]]`` tables of ``entente.toml`` as collection definitions."""
    if not isinstance(value, list):
        raise ConfigurationError("collections must be an array of tables ([[collections]])")
    parsed: list[CollectionDef] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise ConfigurationError("each [[collections]] entry must be a table")
        title = entry.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ConfigurationError("each [[collections]] entry needs a title")
        raw_id = entry.get("id")
        try:
            collection_id = collection_uuid(title) if raw_id is None else uuid.UUID(str(raw_id))
        except ValueError as exc:
            raise ConfigurationError(f"collection {title!r}: id is not a UUID") from exc
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise ConfigurationError(f"collection {title!r}: description must be a string")
        base = CollectionDef(id=collection_id, title=title)
        can_read = _strings(entry, "can_read", base.can_read)
        can_write = _strings(entry, "can_write", base.can_write)
        if not (can_read | can_write) <= _ROLES:
            raise ConfigurationError(f"collection {title!r}: unknown role in can_read/can_write")
        public = entry.get("public", False)
        if not isinstance(public, bool):
            raise ConfigurationError(f"collection {title!r}: public must be true or false")
        parsed.append(
            CollectionDef(
                id=collection_id,
                title=title,
                description=description,
                types=_strings(entry, "types", frozenset()),
                marking_refs=_strings(entry, "marking_refs", frozenset()),
                source_names=_strings(entry, "source_names", frozenset()),
                can_read=can_read,
                can_write=can_write,
                public=public,
            )
        )
    if len({c.id for c in parsed}) != len(parsed):
        raise ConfigurationError("two [[collections]] share an id")
    return tuple(parsed)


def without_password(url: str) -> str:
    """``url`` with any password in its userinfo replaced by ``***`` (RFC 3986 §3.2.1 calls a
    password there deprecated, but database URLs still carry one)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))


def render_settings(settings: Settings) -> tuple[tuple[str, str], ...]:
    """The node's effective settings as ``(name, text)`` for the Admin page, read-only.

    Secrets are never in the text: a database password shows as ``***`` and the signing key
    and the cursor secret only by where they live. Every setting added to ``Settings`` that
    holds a secret must be left out or masked here (the Admin page's test looks for them).
    """
    scoring = settings.scoring
    sources = ", ".join(f"{name}={letter}" for name, letter in sorted(scoring.sources.items()))
    collections = ", ".join(c.title for c in settings.collections) or "the defaults"
    networks = ", ".join(str(n) for n in settings.own_addresses.networks)
    return (
        ("org_name", settings.org_name),
        ("home", str(settings.home)),
        ("database_url", without_password(settings.database_url)),
        ("public_url", settings.public_url),
        ("default_marking", f"TLP:{settings.default_marking.label.upper()}"),
        ("max_content_length", f"{settings.max_content_length} bytes"),
        ("collections", collections),
        ("sync_interval", f"{settings.sync_interval:g} s"),
        ("signed_batches", "on" if settings.signed_batches else "off"),
        ("hunt_archive", ", ".join(settings.hunt_archive) or "none"),
        ("hunt_interval", f"{settings.hunt_interval:g} s"),
        ("export_min_score", str(settings.export_min_score)),
        ("tsa_url", settings.tsa_url or "none"),
        ("tsa_chain_file", str(settings.tsa_chain_file or "none")),
        *_render_abuse(settings.abuse),
        ("takedown.sla", _render_takedown(settings.takedown)),
        ("default_warninglists", "on" if settings.default_warninglists else "off"),
        ("scoring.default_reliability", scoring.default_reliability),
        ("scoring.default_confidence", str(scoring.default_confidence)),
        ("scoring.sources", sources or "none"),
        ("own_networks", networks or "none"),
        ("own_domains", ", ".join(settings.own_addresses.domains) or "none"),
        (
            "preservation.contacts",
            ", ".join(c.label for c in settings.preservation_contacts) or "none",
        ),
        ("signing key", f"{settings.key_path} (not shown)"),
        ("approvals", _render_approvals(settings.approvals)),
        *_render_oidc(settings.oidc),
    )


def _render_approvals(policies: Mapping[ActionType, Policy]) -> str:
    parts = []
    for action, policy in sorted(policies.items()):
        orgs = f", from {', '.join(policy.required_orgs)}" if policy.required_orgs else ""
        parts.append(f"{action.value}: {policy.min_approvals} approvals{orgs}")
    return "; ".join(parts)


def _render_takedown(takedown: TakedownSettings) -> str:
    providers = "".join(f"; {name}: {h:g} h" for name, h in sorted(takedown.providers.items()))
    return f"default {takedown.default_sla_hours:g} h{providers}"


def _render_abuse(abuse: AbuseSettings) -> tuple[tuple[str, str], ...]:
    relay = "none" if abuse.smtp_host is None else f"{abuse.smtp_host}:{abuse.smtp_port}"
    return (
        ("abuse.smtp_relay", relay),
        ("abuse.smtp_starttls", "on" if abuse.smtp_starttls else "off"),
        ("abuse.smtp_username", abuse.smtp_username or "none"),
        ("abuse.smtp_password", "set (not shown)" if abuse.smtp_password else "none"),
        ("abuse.reporter", f"{abuse.reporter_org} <{abuse.reporter_email}>"),
        ("abuse.rdap_bootstrap_url", abuse.rdap_bootstrap_url),
        ("abuse.evidence_tlp", f"up to {abuse.evidence_tlp.label}"),
    )


def _render_oidc(oidc: OidcConfig | None) -> tuple[tuple[str, str], ...]:
    if oidc is None:
        return (("oidc", "off"),)
    return (
        ("oidc.provider_name", oidc.provider_name),
        ("oidc.issuer", oidc.issuer),
        ("oidc.client_id", oidc.client_id),
        ("oidc.client_secret", "set (not shown)"),
        ("oidc.scopes", " ".join(oidc.scopes)),
        ("oidc.org_claim", oidc.org_claim),
        ("oidc.orgs", ", ".join(f"{k} -> {v}" for k, v in sorted(oidc.orgs.items()))),
        ("oidc.role_claim", oidc.role_claim),
        ("oidc.roles", ", ".join(f"{k} -> {v}" for k, v in sorted(oidc.roles.items()))),
    )
