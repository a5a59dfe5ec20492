"""Parquet batches fitted to the typed layout a kind's staging reads, or refused.

A kind that stages Parquet columns (engine.columnar.case, engine.columnar.claim)
names its layout: an Arrow schema of the record's fields, instants and amounts
as text. The SQL reads those columns as the record's values, so it is only
right when each value is the one the row engine reads from the same row (the
JSON line `engine.columnar.inputs.json_rows` makes of it). `misfit` holds a
batch to that (and says why not), `cast_to` casts one that fits:

- every column and struct field is one the layout names (an unknown one would
  be a key the schema refuses: the row engine must see it);
- every type reads as the layout's without a change of JSON type: text as
  text (`large_string` too), integers as integers (any signed width, unsigned
  up to 32 bits), booleans as booleans, lists and structs field by field. A
  string where the layout has an integer (a severity "2") is a JSON string to
  the row engine, which rejects it; a float is written by json_rows in a way the
  typed staging does not mirror (TIMESTAMP, DATE, UUID and DECIMAL columns are
  text by now, dictionaries decoded: engine.columnar.jsonable);
- a field the layout makes null-valued (`required`: a null there is a value,
  an absent column is a missing key) is present.

A batch that fits is cast to the layout exactly (missing optional fields and
struct fields added as nulls, which json_rows would drop as absent), so the SQL
reads one shape; a batch that does not is None, and the runner stages its rows
as their JSON text instead (engine.columnar.run), where every check is made on
what the row engine reads.
"""

from __future__ import annotations

from typing import Any, Iterable


def _pa() -> Any:
    import pyarrow  # the `columnar` extra

    return pyarrow


KEEP = ("pos", "line")  # the runner's own columns, carried as they are


def misfit(table: Any, layout: Any, required: Iterable[str] = (), keep: Iterable[str] = KEEP) -> str | None:
    """Why `table` does not fit `layout` (the first reason, for the run's report), or None when it does."""
    names = [n for n in table.column_names if n not in set(keep)]
    if len(set(table.column_names)) != len(table.column_names):
        return "a column name given twice"
    unknown = [n for n in names if n not in layout.names]
    if unknown:
        return f"a column the layout has not: {unknown[0]}"
    missing = [n for n in required if n not in names]
    if missing:
        return f"no {missing[0]} column (a null there is a value, so the column must be given)"
    for n in names:
        actual, wanted = table.schema.field(n).type, layout.field(n).type
        if not _fits(actual, wanted):
            return f"column {n} is {actual} where the layout has {wanted}"
    return None


def cast_to(table: Any, layout: Any, keep: Iterable[str] = KEEP) -> Any:
    """`table`, which fits `layout` (`misfit` said None), cast to it exactly."""
    pa = _pa()
    kept = set(keep)
    names = [n for n in table.column_names if n not in kept]
    columns = {}
    for field in layout:
        if field.name in names:
            column = table.column(field.name)
            columns[field.name] = pa.chunked_array([_cast(chunk, field.type) for chunk in column.chunks], field.type)
        else:
            columns[field.name] = pa.nulls(table.num_rows, field.type)
    columns.update({n: table.column(n) for n in table.column_names if n in kept})
    return pa.table(columns)


def _fits(actual: Any, wanted: Any) -> bool:
    """Whether values of Arrow type `actual` are read as the same JSON values in type `wanted`."""
    t = _pa().types
    if actual == wanted or t.is_null(actual):
        return True
    if t.is_string(wanted):
        return t.is_string(actual) or t.is_large_string(actual)
    if t.is_integer(wanted):
        return t.is_signed_integer(actual) or actual in (_pa().uint8(), _pa().uint16(), _pa().uint32())
    if t.is_list(wanted):
        return (t.is_list(actual) or t.is_large_list(actual)) and _fits(actual.value_type, wanted.value_type)
    if t.is_struct(wanted):
        if not t.is_struct(actual):
            return False
        have = [actual.field(i) for i in range(actual.num_fields)]
        known = {wanted.field(i).name: wanted.field(i).type for i in range(wanted.num_fields)}
        return len({f.name for f in have}) == len(have) and all(f.name in known and _fits(f.type, known[f.name]) for f in have)
    return False


def _cast(array: Any, wanted: Any) -> Any:
    """One array (of a type that `_fits`) as `wanted`: struct fields by name, the missing ones null."""
    pa = _pa()
    if array.type == wanted:
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), wanted)
    if pa.types.is_struct(wanted):
        present = {array.type.field(i).name: child for i, child in enumerate(array.flatten())}
        children = [_cast(present[f.name], f.type) if f.name in present else pa.nulls(len(array), f.type) for f in wanted]
        return pa.StructArray.from_arrays(children, fields=list(wanted), mask=array.is_null())
    if pa.types.is_list(wanted):
        import pyarrow.compute as pc

        offsets = array.offsets  # of this slice: from the first row's start, into the whole of `values`
        first, last = offsets[0].as_py(), offsets[-1].as_py()
        values = _cast(array.values.slice(first, last - first), wanted.value_type)
        offsets = pc.subtract(offsets, first).cast(pa.int32())  # with a null bitmap, Arrow wants them from 0
        return pa.ListArray.from_arrays(offsets, values, type=wanted, mask=array.is_null())
    return array.cast(wanted)


def typed_layout(module: Any) -> tuple[Any, tuple[str, ...]] | None:
    """A kind module's Parquet layout (its `parquet_schema()` without `pos`) and the fields it must hold
    (the null-valued ones, engine.columnar.inputs.NULL_VALUED), or None when the kind stages JSON text only."""
    if not hasattr(module, "parquet_schema"):
        return None
    from engine.columnar.inputs import NULL_VALUED

    schema = module.parquet_schema()
    if "pos" in schema.names:
        schema = schema.remove(schema.get_field_index("pos"))
    return schema, tuple(n for n in NULL_VALUED if n in schema.names)
