"""How the dashboard reaches the warehouse: as a read-only role, on the relations of its audience only.

The dashboard reads what Looker Studio reads, as Looker Studio does: the ``reporting``
relations, connected as ``looker_reader``, never as the pipeline's owner. An
``Audience`` names the role, where its password comes from and the schemas it reads;
the session's ``search_path`` is set to those schemas, so pages name relations
without a schema: the operations audience (``ops_reader``) reads ``ops`` first, where
the people-facing relations carry real names and contact details, then ``reporting``.

Where the warehouse is, first match wins:

1. ``MISSION_DASHBOARD_URL``: a full connection URL (role and password included);
2. ``MISSION_WAREHOUSE_URL``: the pipeline's server and database, with the audience's
   role and its password (``LOOKER_READER_PASSWORD``, ``OPS_READER_PASSWORD``) instead of the owner's;
3. the embedded warehouse under the data folder, through its Unix socket, as the role.

Every query is parameterised (values travel apart from the SQL text, identifiers are
quoted by psycopg). Results are cached for ``DATA_TTL`` seconds and keyed by the
data's freshness (``fraicheur_donnees``, re-read every ``FRESHNESS_TTL`` seconds), so a
new publish shows within that delay. Faults become a ``DashboardError`` carrying one
French sentence for the page: what is wrong and what to do.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import pandas as pd
import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.numeric import FloatLoader

from mission_platform import settings
from mission_platform.warehouse.reporting import LOOKER_READER, OPS_READER

DASHBOARD_URL_ENV = "MISSION_DASHBOARD_URL"
AUDIENCE_ENV = "MISSION_DASHBOARD_AUDIENCE"
CONNECT_TIMEOUT_S = 5
# A page query that runs longer is cut short by the server rather than holding a connection.
STATEMENT_TIMEOUT_MS = 60_000
FRESHNESS_TTL = 60
DATA_TTL = 15 * 60


@dataclass(frozen=True)
class Audience:
    """Who the dashboard connects as and which schemas it reads (first schema first)."""

    name: str
    role: str
    password_env: str
    schemas: tuple[str, ...]
    contacts: bool = False   # its relations carry real names, phones, e-mails, addresses and notes

    def describe(self, relation: str) -> str:
        """``relation`` as a person would look it up, e.g. ``reporting.vue_ensemble``."""
        return f"{self.schemas[0]}.{relation}" if len(self.schemas) == 1 else f"{relation} ({', '.join(self.schemas)})"


PUBLIC = Audience(name="public", role=LOOKER_READER.name, password_env=LOOKER_READER.password_env,
                  schemas=LOOKER_READER.schemas)
OPS = Audience(name="ops", role=OPS_READER.name, password_env=OPS_READER.password_env, schemas=OPS_READER.schemas,
               contacts=True)
AUDIENCES: dict[str, Audience] = {a.name: a for a in (PUBLIC, OPS)}


def audience_from_env() -> Audience:
    name = os.environ.get(AUDIENCE_ENV, "").strip() or PUBLIC.name
    try:
        return AUDIENCES[name]
    except KeyError:
        raise DashboardError(
            f"Audience inconnue {name!r} ({AUDIENCE_ENV}) : choisissez parmi {', '.join(AUDIENCES)}.", kind="config"
        ) from None


class DashboardError(RuntimeError):
    """What a page shows instead of its content: one sentence, in French, saying what is wrong and what to do.

    ``kind`` tells the app whether the whole warehouse is out of reach (``unreachable``, ``empty``,
    ``auth``, ``config``) or only one relation (``relation``, ``schema``, ``permission``, ``query``).
    """

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind

    @property
    def whole_warehouse(self) -> bool:
        return self.kind in {"unreachable", "empty", "auth", "config"}


def reader_conninfo(audience: Audience) -> str:
    """The connection string of the audience's role, by the rules of the module docstring."""
    explicit = settings.dashboard_url()
    if explicit:
        return explicit
    warehouse = settings.warehouse_url()
    if not warehouse:
        from mission_platform.warehouse.embedded import embedded_postgres_url

        warehouse = embedded_postgres_url(settings.data_dir() / "warehouse")
    params = conninfo_to_dict(warehouse)
    params.pop("password", None)  # the owner's: never the reader's
    params["user"] = audience.role
    password = settings.raw(audience.password_env)
    if password:
        params["password"] = password
    return make_conninfo(**params)


def describe_conninfo(conninfo: str) -> str:
    """Where a connection string points, without its password, for messages."""
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or "localhost"
    where = f"socket {host}" if host.startswith("/") else f"{host}:{params.get('port') or 5432}"
    return f"{params.get('user') or '?'}@{where}/{params.get('dbname') or '?'}"


def _connect(conninfo: str, audience: Audience) -> psycopg.Connection:
    search_path = ",".join(sql.Identifier(s).as_string(None) for s in audience.schemas)
    conn = psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name="mission_platform_dashboard",
        options=f"-c search_path={search_path} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        " -c default_transaction_read_only=on",
    )
    # Amounts as floats: what charts and French formatting take (cents are exact enough for display).
    conn.adapters.register_loader("numeric", FloatLoader)
    return conn


def _relations_in(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def compose(template: str) -> str:
    """``template`` with each ``{relation}`` quoted as an identifier (resolved by the audience's search_path)."""
    names = _relations_in(template)
    return sql.SQL(template).format(**{name: sql.Identifier(name) for name in names}).as_string(None)


def run_query(conninfo: str, audience: Audience, template: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run one query as the audience's role; every fault becomes a ``DashboardError``."""
    relations = _relations_in(template)
    try:
        conn = _connect(conninfo, audience)
    except psycopg.OperationalError as exc:
        raise connection_error(exc, conninfo, audience) from None
    try:
        with conn.cursor() as cur:
            cur.execute(compose(template), params or None)
            columns = [c.name for c in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)
    except psycopg.Error as exc:
        raise query_error(exc, audience, relations) from None
    finally:
        conn.close()


def connection_error(exc: psycopg.OperationalError, conninfo: str, audience: Audience) -> DashboardError:
    where = describe_conninfo(conninfo)
    text = str(exc)
    if "no password supplied" in text or "password authentication failed" in text:
        what = "demande un mot de passe" if "no password supplied" in text else "refuse le mot de passe"
        return DashboardError(
            f"Le serveur {what} pour le rôle {audience.role} ({where}) : définissez {audience.password_env} "
            f"(le mot de passe donné au rôle par la matérialisation) ou {DASHBOARD_URL_ENV}.",
            kind="auth",
        )
    if f'role "{audience.role}" does not exist' in text:
        return DashboardError(
            f"Le rôle {audience.role} n'existe pas encore sur {where} : l'entrepôt est vide. "
            "Lancez d'abord `mission-platform demo` (ou `mission-platform materialize`).",
            kind="empty",
        )
    if "does not exist" in text and "database" in text:
        return DashboardError(f"La base de l'entrepôt n'existe pas ({where}) : vérifiez l'URL.", kind="config")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return DashboardError(
        f"L'entrepôt ne répond pas ({where}) : {first}. Vérifiez qu'il tourne "
        "(`mission-platform dashboard` garde l'entrepôt intégré démarré) puis rechargez la page.",
        kind="unreachable",
    )


def query_error(exc: psycopg.Error, audience: Audience, relations: list[str]) -> DashboardError:
    named = ", ".join(audience.describe(r) for r in relations) or "?"
    rebuild = "relancez la matérialisation (`mission-platform materialize`) pour recréer les relations de reporting"
    if isinstance(exc, errors.InvalidSchemaName) or (
        isinstance(exc, errors.UndefinedTable) and "fraicheur_donnees" in relations
    ):
        return DashboardError(
            "L'entrepôt est vide (pas de relations de reporting) : lancez d'abord `mission-platform demo` "
            "(ou `mission-platform materialize`).",
            kind="empty",
        )
    if isinstance(exc, errors.UndefinedTable):
        return DashboardError(f"La relation {named} est absente de l'entrepôt : {rebuild}.", kind="relation")
    if isinstance(exc, (errors.UndefinedColumn, errors.UndefinedFunction, errors.DatatypeMismatch)):
        detail = str(exc).strip().splitlines()[0]
        return DashboardError(
            f"La relation {named} n'a pas la forme attendue ({detail}) : l'entrepôt vient d'une version plus "
            f"ancienne du pipeline ; {rebuild}.",
            kind="schema",
        )
    if isinstance(exc, errors.InsufficientPrivilege):
        return DashboardError(
            f"Le rôle {audience.role} n'a pas le droit de lire {named} : {rebuild} (elle redonne ses droits au rôle).",
            kind="permission",
        )
    if isinstance(exc, psycopg.OperationalError):
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return DashboardError(
            f"La connexion à l'entrepôt a été perdue ({detail}) : rechargez la page dans un instant.",
            kind="unreachable",
        )
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DashboardError(f"L'entrepôt a refusé la requête sur {named} : {detail}.", kind="query")


@dataclass(frozen=True)
class Freshness:
    export_id: str
    date_export: Any          # datetime.date: "today" for every page (past vs upcoming)
    derniere_mise_a_jour: Any  # datetime.datetime, Paris time

    @property
    def token(self) -> tuple:
        return (self.export_id, str(self.derniere_mise_a_jour))


class Reader:
    """Reads the audience's relations; results cached (see the module docstring)."""

    def __init__(self, conninfo: str, audience: Audience):
        self.conninfo = conninfo
        self.audience = audience

    @classmethod
    def from_env(cls) -> "Reader":
        audience = audience_from_env()
        try:
            conninfo = reader_conninfo(audience)
        except RuntimeError as exc:  # the embedded warehouse could not start
            raise DashboardError(f"L'entrepôt intégré ne démarre pas : {exc}", kind="unreachable") from None
        return cls(conninfo, audience)

    def freshness(self) -> Freshness:
        frame = _cached_freshness(self.conninfo, self.audience)
        if frame.empty:
            raise DashboardError(
                "L'entrepôt est vide (aucun export publié) : lancez d'abord `mission-platform demo` "
                "(ou `mission-platform materialize`).",
                kind="empty",
            )
        row = frame.iloc[0]
        return Freshness(str(row["export_id"]), row["date_export"], row["derniere_mise_a_jour"])

    def frame(self, template: str, params: Mapping[str, Any] | None = None, *, freshness: Freshness | None = None) -> pd.DataFrame:
        """The rows of ``template`` (relations as ``{name}``, values as ``%(name)s``), cached per freshness."""
        token = freshness.token if freshness is not None else None
        frozen = tuple(sorted((k, _hashable(v)) for k, v in (params or {}).items()))
        return _cached_frame(self.conninfo, self.audience, template, frozen, token).copy()


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _thaw(frozen: tuple) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}


FRESHNESS_SQL = "SELECT export_id, date_export, derniere_mise_a_jour FROM {fraicheur_donnees}"


def _load_freshness(conninfo: str, audience: Audience) -> pd.DataFrame:
    return run_query(conninfo, audience, FRESHNESS_SQL)


def _load_frame(conninfo: str, audience: Audience, template: str, frozen: tuple, token: tuple | None) -> pd.DataFrame:
    # ``token`` only keys the cache: a new publish is a new token, hence fresh rows.
    return run_query(conninfo, audience, template, _thaw(frozen))


@lru_cache(maxsize=1)
def _caches():
    """Streamlit's data caches around the two loaders, made on first use inside the app (not at import)."""
    import streamlit as st

    return (st.cache_data(ttl=FRESHNESS_TTL, show_spinner=False)(_load_freshness),
            st.cache_data(ttl=DATA_TTL, show_spinner=False, max_entries=2000)(_load_frame))


def _cached_freshness(conninfo: str, audience: Audience) -> pd.DataFrame:
    return _caches()[0](conninfo, audience)


def _cached_frame(conninfo: str, audience: Audience, template: str, frozen: tuple, token: tuple | None) -> pd.DataFrame:
    return _caches()[1](conninfo, audience, template, frozen, token)


def clear_caches() -> None:
    for cache in _caches():
        cache.clear()
