"""Parquet rows whose text is not UTF-8, found before any of it reaches the SQL.

Arrow does not check that a Parquet string column holds UTF-8 when it reads
one, and DuckDB does not either when it scans the Arrow batch: such a value
came out of a query as an empty JSON value (`"customer":,`, exit 0) or made
DuckDB invalidate its database (a timestamp), and Python's reading of it
raised UnicodeDecodeError. A JSONL line that is not UTF-8 is the row engine's
rejection ("not UTF-8 text", exit 2 unless --keep-going); a Parquet row is
rejected the same way, naming the field. A binary column (which `json_rows`
reads as text) is held to the same: it used to be read with U+FFFD in place of
each bad byte and decided. Arrow's full validation finds whether a batch holds
such text (≈0.07 CPU-s for the bench's 1M cases); only a column that does is
read again, as bytes, to find the rows and fields.
"""

from __future__ import annotations

from typing import Any

FieldPath = tuple[Any, ...]  # a field in the record: ("events", 1, "via")


def not_utf8(batch: Any) -> dict[int, list[tuple[FieldPath, str]]]:
    """The rows of `batch` (0-based) holding text that is not UTF-8, each with (path, reason) per field.
    Arrow's checks say whether a column holds any (a slice does not say which row: a sliced struct or
    list validates all of its children); only a column that does is read as bytes, row by row."""
    import pyarrow as pa

    found: dict[int, list[tuple[FieldPath, str]]] = {}
    for field, column in zip(batch.schema, batch.columns):
        if _all_utf8(column, field.type):
            continue
        try:
            values = column.cast(_retyped(field.type, _TO_BYTES)).to_pylist()
        except (UnicodeDecodeError, pa.ArrowException):
            raise UnreadableText(f"column {field.name} ({field.type}) holds text that is not UTF-8, in a type "
                                 "whose rows cannot be read one by one as bytes here") from None
        for i, value in enumerate(values):
            problems: list[tuple[FieldPath, str]] = []
            _decoded(value, field.type, (field.name,), problems)
            if problems:
                found.setdefault(i, []).extend(problems)
    return dict(sorted(found.items()))


def _all_utf8(column: Any, t: Any) -> bool:
    """Whether every text of `column` is UTF-8: its strings by Arrow's full validation, its bytes
    (a binary column, which json_rows reads as text) by a cast to text, which checks them."""
    import pyarrow as pa

    try:
        column.validate(full=True)
        text = _retyped(t, _TO_TEXT)
        if text != t:
            column.cast(text)
    except pa.ArrowInvalid:
        return False
    return True


def lossy(row: Any) -> dict[str, Any]:
    """A one-row batch as to_pylist gives it, text that is not UTF-8 decoded with U+FFFD in place of
    each bad byte: the row as far as it reads, for the rejects file."""
    import pyarrow as pa

    schema = row.schema
    values = pa.Table.from_batches([row]).cast(pa.schema([f.with_type(_retyped(f.type, _TO_BYTES)) for f in schema]))
    values = values.to_pylist()[0]
    return {f.name: _decoded(values[f.name], f.type, (f.name,), []) for f in schema}


_TO_BYTES = {"string": "binary", "large_string": "large_binary", "string_view": "binary_view"}  # a cast that checks nothing
_TO_TEXT = {v: k for k, v in _TO_BYTES.items()}  # a cast that checks the bytes are UTF-8
_TEXT = {*_TO_BYTES, *_TO_TEXT}  # the leaf types json_rows reads as text


class UnreadableText(ValueError):
    """A column holds text that is not UTF-8 in a type this module cannot read as bytes, row by row."""


def _retyped(t: Any, leaves: dict[str, str]) -> Any:
    """Arrow type `t` with each leaf type named in `leaves` (string, binary, ...) replaced, nested ones too."""
    import pyarrow as pa

    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_retyped(t.value_type, leaves)))
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(_retyped(t.value_type, leaves)))
    if pa.types.is_fixed_size_list(t):
        return pa.list_(t.value_field.with_type(_retyped(t.value_type, leaves)), t.list_size)
    if pa.types.is_struct(t):
        return pa.struct([t.field(i).with_type(_retyped(t.field(i).type, leaves)) for i in range(t.num_fields)])
    if pa.types.is_dictionary(t):
        return _retyped(t.value_type, leaves)
    name = str(t)
    return getattr(pa, leaves[name])() if name in leaves else t


def _decoded(value: Any, t: Any, path: FieldPath, found: list[tuple[FieldPath, str]]) -> Any:
    """`value` (read with _retyped(t, _TO_BYTES)) with its text and bytes decoded, as json_rows reads
    them; a field that is not UTF-8 is noted in `found`."""
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_dictionary(t):
        t = t.value_type
    if str(t) in _TEXT:
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
