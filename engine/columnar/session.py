"""Where the compiled SQL runs: an embedded DuckDB connection or a Spark session,
behind one call, `query(sql, tables) -> pyarrow.Table`.

The runner hands each chunk of raw rows over as an Arrow table registered under
a name (`raw`), runs one SELECT over it and takes the result back as Arrow; the
runner puts the rows in input order by their `pos`. Spark collects that result to the
driver: the decisions must be written in input order and whole (one atomic
file), so the driver writes them in one pass while the SQL itself runs on the
executors; for exports that outgrow the driver's memory the chunks bound it.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from typing import Any

from engine.errors import SlaError, UsageError

LOCAL_DRIVER_MEMORY = "4g"  # the JVM heap of a local[N] session, unless SPARK_DRIVER_MEMORY is set



class DuckSession:
    """An in-memory DuckDB connection with `threads` threads."""

    def __init__(self, threads: int):
        try:
            import duckdb
        except ImportError:
            raise UsageError("--backend duckdb needs DuckDB and pyarrow: pip install 'sla-engine[columnar]'") from None
        self.conn = duckdb.connect(":memory:", config={"threads": threads})
        self.conn.execute("SET preserve_insertion_order = true")

    def query(self, sql: str, tables: dict[str, Any]) -> Any:
        for name, table in tables.items():
            self.conn.register(name, table)
        try:
            # execute(), not sql(): a relation from sql() binds and optimizes the SELECT once to know its
            # columns and again to run it, ~0.1 CPU-s a query for this SQL (bench/README.md). A prepared
            # statement would save a little more, but DuckDB 1.1 ran one over the table registered when it
            # was prepared, not the chunk registered now (2.x binds it again), so it is not used.
            cursor = self.conn.execute(sql)
            with warnings.catch_warnings():
                # 2.x warns that Arrow from execute() copies the result once: measured, still the cheaper call
                warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
                # DuckDB 1.x calls it arrow(); 2.x to_arrow_table()
                return cursor.to_arrow_table() if hasattr(cursor, "to_arrow_table") else cursor.arrow()
        finally:
            for name in tables:
                self.conn.unregister(name)

    def close(self) -> None:
        self.conn.close()


class SparkSession:
    """A Spark session (`local[threads]` unless a master URL is given): no UI, no progress bars, errors
    only once it runs (the JVM's few start-up lines on standard error are Spark's own)."""

    def __init__(self, threads: int, master: str | None):
        from engine.columnar.dialect import SPARK_CONF
        try:
            from pyspark.sql import SparkSession as Builder
        except ImportError:
            raise UsageError("--backend spark needs PySpark (and Java): pip install 'sla-engine[spark]'") from None
        master = master or f"local[{threads}]"
        builder = (Builder.builder.master(master).appName("sla check")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", str(max(threads, 1) * 2))
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
        for key, value in SPARK_CONF.items():
            builder = builder.config(key, value)
        if master.startswith("local") and "SPARK_DRIVER_MEMORY" not in os.environ:
            # In local mode the driver's JVM is all of Spark: its default heap of 1 GiB ran out on the
            # customer-months' plan (wide CASE expressions) of a 1M-case export. SPARK_DRIVER_MEMORY overrides.
            builder = builder.config("spark.driver.memory", LOCAL_DRIVER_MEMORY)
        # A session this process already runs (an application embedding the engine, a test fixture) is
        # used as it is, with the SQL's settings, and left running: stopping it is its owner's business.
        existing = Builder.getActiveSession()
        self.owned = existing is None
        try:
            self.spark = builder.getOrCreate() if existing is None else existing
        except Exception as exc:  # no Java, a master that cannot be reached
            raise UsageError(f"--backend spark: cannot start Spark: {str(exc).strip().splitlines()[0]}") from None
        if self.owned:
            self.spark.sparkContext.setLogLevel("ERROR")
        for key, value in SPARK_CONF.items():
            self.spark.conf.set(key, _with_owners(key, value, self.spark.conf.get(key, "")))

    def query(self, sql: str, tables: dict[str, Any]) -> Any:
        from py4j.protocol import Py4JJavaError  # comes with PySpark

        try:
            for name, table in tables.items():
                self._view(name, table)
            return self.spark.sql(sql).toArrow()
        except Py4JJavaError as exc:  # a job Spark could not finish: out of memory, a lost executor, a lost result
            raise SparkFailed(f"--backend spark: Spark could not finish a query: {spark_reason(exc)}. In local mode the JVM has "
                              f"{os.environ.get('SPARK_DRIVER_MEMORY', LOCAL_DRIVER_MEMORY)} of heap; give it more with "
                              f"SPARK_DRIVER_MEMORY (e.g. 8g), or fewer records per run") from None
        finally:
            for name in tables:
                self.spark.catalog.dropTempView(name)
            # py4j's Python proxies of JVM objects are in reference cycles, so the JVM keeps a query's plans and
            # its chunk's data until Python's cycle collector runs; `sla check` runs that collector rarely (see
            # engine.check.run), and 25 chunks of plans ran a 4g JVM out of heap. Collect here: it frees them now.
            gc.collect()

    def _view(self, name: str, table: Any) -> None:
        """An Arrow table as a temporary view (its DataFrame's proxy is garbage when this returns)."""
        frame = self.spark.createDataFrame(table) if table.num_rows else self.spark.createDataFrame([], _schema(table))
        frame.createOrReplaceTempView(name)

    def close(self) -> None:
        if self.owned:
            self.spark.stop()


class SparkFailed(SlaError):
    """Spark started but could not finish a query (exit 2, as for a file that cannot be written):
    the run writes nothing, and the message says why in Spark's own words, without its stack."""


def spark_reason(exc: BaseException) -> str:
    """The most specific line of a Spark failure: the last `Caused by:` of the Java trace, or its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line[len("Caused by:"):].strip() for line in lines if line.startswith("Caused by:")]
    text = causes[-1] if causes else (lines[0] if lines else type(exc).__name__)
    return text if len(text) <= 300 else text[:299] + "…"


def _with_owners(key: str, ours: str, theirs: str) -> str:
    """A setting's value for a session we may not own: excluded optimizer rules are added to the owner's list
    (another rule they excluded stays excluded); every other setting is the SQL's."""
    if key != "spark.sql.optimizer.excludedRules" or not theirs.strip():
        return ours
    rules = [r.strip() for r in theirs.split(",") if r.strip()]
    return ",".join(rules + [r for r in ours.split(",") if r not in rules])


def _schema(table: Any) -> Any:
    """An Arrow schema as Spark's, for an empty chunk."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(table.schema)


def open_session(backend: str, threads: int, master: str | None) -> DuckSession | SparkSession:
    if backend == "spark":
        return SparkSession(threads, master)
    if master:
        print("sla check: --spark-master is for --backend spark; ignored", file=sys.stderr)
    return DuckSession(threads)
