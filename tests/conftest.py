"""Shared fixtures: a throw-away PostgreSQL schema per test, one local Spark session per run."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PG_URL_ENV = "ENTENTE_TEST_DATABASE_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """``(url, schema)``: a new, empty schema, dropped afterwards.

    Skips when the server cannot be reached, but fails when ``CI=true``: CI must run them.
    """
    url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    schema = f"entente_test_{uuid.uuid4().hex[:16]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        engine.dispose()
        message = f"PostgreSQL not reachable at {shown}: {exc}; set {PG_URL_ENV}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url, schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _java() -> str | None:
    """The ``java`` Spark would start: ``$JAVA_HOME/bin/java``, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One Spark session in local mode (``local[2]``, loopback only, no UI) for the whole run,
    stopped at its end.

    Skips when there is no Java, but fails when ``CI=true``: CI must run them (.ci/run installs
    a JRE where one is missing).
    """
    if _java() is None:
        message = "Spark needs Java 17+: no java on PATH or in JAVA_HOME"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from entente.matching.spark import spark_session

    conf = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"}
    with spark_session("local[2]", conf) as session:
        yield session
