"""A local Spark session for the tests that run compiled SQL on Spark.

Spark needs pyspark and Java. Without them the tests are skipped, saying which
is missing, unless SLA_REQUIRE_SPARK=1 (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Iterator

import pytest


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'sla-engine[spark]')"
    return None if shutil.which("java") else "Java is not installed (Spark needs a JVM)"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A `local[1]` Spark session with the settings engine.columnar assumes."""
    missing = spark_missing()
    if missing:
        if os.environ.get("SLA_REQUIRE_SPARK") == "1":
            pytest.fail(f"SLA_REQUIRE_SPARK=1 but {missing}")
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    from engine.columnar.dialect import SPARK_CONF

    # 2 GiB of heap: one session serves every Spark test of the run, and the months' facts plan (wide CASE
    # expressions, generated code) ran the default 1 GiB out of memory late in the full suite.
    builder = (SparkSession.builder.master("local[1]").appName("sla-engine-tests").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "2g"))
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
