from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.support.conversations import SETS
from tests.support.databases import PostgresFactory, SqliteFactory, postgres_available


def pytest_configure(config: pytest.Config) -> None:
    # Each corpus set is a marker on its conversations, so `pytest -k heldout3` runs one set.
    for name in SETS:
        config.addinivalue_line("markers", f"{name}: a conversation of the {name} corpus set")


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> SqliteFactory:
    return SqliteFactory(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[PostgresFactory]:
    reason = postgres_available()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} — PostgreSQL tests must run in CI")
        pytest.skip(reason)
    factory = PostgresFactory()
    yield factory
    factory.cleanup()


@pytest.fixture
def sqlite_url(sqlite_factory: SqliteFactory) -> str:
    return sqlite_factory.new()


@pytest.fixture
def pg_url(pg_factory: PostgresFactory) -> str:
    return pg_factory.new()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def make(database_url: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "secret_key": "test-secret-key-not-for-production",
            "secret_key_file": tmp_path / "secret",
            "delivery_base_delay": 0.05,
            "delivery_max_delay": 0.5,
            "delivery_poll_interval": 0.05,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(db_url: str, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(db_url)
