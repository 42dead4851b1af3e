"""The sandbox refuses file access, ATTACH of files, INSTALL/LOAD and re-enabling, on its own (no checker)."""

from __future__ import annotations

import duckdb
import pytest

from envscale.environments import sandbox


@pytest.fixture
def con(tmp_path):
    c = sandbox.connect(tmp_path / "env.duckdb")
    c.execute("CREATE TABLE t (id VARCHAR PRIMARY KEY)")
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    yield c
    c.close()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('{dir}/secret.csv')",
        "SELECT * FROM '{dir}/secret.csv'",
        "SELECT * FROM glob('{dir}/*')",
        "COPY t TO '{dir}/out.csv'",
        "EXPORT DATABASE '{dir}/export'",
        "ATTACH '{dir}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET allow_unsigned_extensions = true",
        "SELECT * FROM sniff_csv('{dir}/secret.csv')",
    ],
)
def test_sandbox_refuses(con, tmp_path, statement):
    with pytest.raises(duckdb.Error):
        con.execute(statement.format(dir=tmp_path)).fetchall()
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "export").exists()


def test_python_objects_are_not_scannable(con):
    import pandas as pd

    frame = pd.DataFrame({"x": [1]})  # noqa: F841 - would be found by a replacement scan
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM frame").fetchall()


def test_in_memory_sandbox_is_locked_too():
    c = sandbox.connect()
    settings = dict(
        c.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {"enable_external_access": "false", "lock_configuration": "true"}
