"""Parquet rows whose text is not UTF-8, found before any of it reaches the SQL.

Arrow does not check that a Parquet string column holds UTF-8 when it reads
one, and DuckDB does not either when it scans the Arrow batch: such a value
came out of a query as an empty JSON value (`"customer":,`, exit 0) or made
DuckDB invalidate its database (a timestamp), and Python's reading of it
raised UnicodeDecodeError. A JSONL line that is not UTF-8 is the row engine's
rejection ("not UTF-8 text", exit 2 unless --keep-going); a Parquet row is
rejected the same way, naming the field. Arrow's full validation finds
whether a batch holds such text (≈0.07 CPU-s for the bench's 1M cases); only a
column that does is read again, as bytes, to find the rows and fields.
"""

from __future__ import annotations

from typing import Any

FieldPath = tuple[Any, ...]  # a field in the record: ("events", 1, "via")


def not_utf8(batch: Any) -> dict[int, list[tuple[FieldPath, str]]]:
    """The rows of `batch` (0-based) holding text that is not UTF-8, each with (path, reason) per field.
    Arrow's full validation says whether a column holds any (a slice does not say which row: a sliced
    struct or list validates all of its children); a column that does is read as bytes, row by row."""
    if _valid(batch):
        return {}
    found: dict[int, list[tuple[FieldPath, str]]] = {}
    for field, column in zip(batch.schema, batch.columns):
        if _valid(column):
            continue
        for i, value in enumerate(column.cast(_as_bytes(field.type)).to_pylist()):
            problems: list[tuple[FieldPath, str]] = []
            _decoded(value, field.type, (field.name,), problems)
            if problems:
                found.setdefault(i, []).extend(problems)
    return dict(sorted(found.items()))


def _valid(data: Any) -> bool:
    """Whether Arrow's full validation passes `data` (a batch or an array): UTF-8 text included."""
    import pyarrow as pa

    try:
        data.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def lossy(row: Any) -> dict[str, Any]:
    """A one-row batch as to_pylist gives it, text that is not UTF-8 decoded with U+FFFD in place of
    each bad byte: the row as far as it reads, for the rejects file."""
    import pyarrow as pa

    schema = row.schema
    values = pa.Table.from_batches([row]).cast(pa.schema([f.with_type(_as_bytes(f.type)) for f in schema])).to_pylist()[0]
    return {f.name: _decoded(values[f.name], f.type, (f.name,), []) for f in schema}


def _as_bytes(t: Any) -> Any:
    """Arrow type `t` with every string type read as the same bytes (a cast that checks nothing)."""
    import pyarrow as pa

    if pa.types.is_string(t):
        return pa.binary()
    if pa.types.is_large_string(t):
        return pa.large_binary()
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_as_bytes(t.value_type)))
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(_as_bytes(t.value_type)))
    if pa.types.is_fixed_size_list(t):
        return pa.list_(t.value_field.with_type(_as_bytes(t.value_type)), t.list_size)
    if pa.types.is_struct(t):
        return pa.struct([t.field(i).with_type(_as_bytes(t.field(i).type)) for i in range(t.num_fields)])
    if pa.types.is_dictionary(t):
        return _as_bytes(t.value_type)
    return t


def _decoded(value: Any, t: Any, path: FieldPath, found: list[tuple[FieldPath, str]]) -> Any:
    """`value` (read with _as_bytes(t)) with its text decoded; a field that is not UTF-8 is noted in `found`."""
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append((path, f"not UTF-8 text ({exc.reason} at byte {exc.start} of the value)"))
            return value.decode("utf-8", "replace")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_decoded(v, t.value_type, (*path, i), found) for i, v in enumerate(value)]
    if pa.types.is_struct(t):
        return {t.field(i).name: _decoded(value[t.field(i).name], t.field(i).type, (*path, t.field(i).name), found)
                for i in range(t.num_fields)}
    return value
