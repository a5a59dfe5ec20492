"""Parquet values JSON has no type for, as the text a JSON export holds them in.

A Parquet export may type its instants as TIMESTAMP (Spark, pandas and most
warehouses do), its dates as DATE, an id as UUID, an amount as DECIMAL. The
engine reads records as JSON values, so such a value is read as text: the text
is made here, in Arrow, for a whole batch before anything else reads it, and
the SQL's typed staging and the row engine then read the same text (a TIMESTAMP
column fits the kinds' typed layouts as the text it became). Before this
module, `json_rows` made the text with Python's datetime, one value at a time:
an export with TIMESTAMP columns was staged as JSON (2.3-3.8x the CPU of the
same export with text columns, bench cases), and a nanosecond, a year past
9999, a duration or a UUID ended the run as an internal error.

- An instant with a time zone is written in UTC, `2024-03-19T13:19:13Z`
  (Arrow stores it as UTC; the zone is how it is shown, and the engine reads
  instants, not their offsets). A TIMESTAMP without one (Spark's default INT96
  reads so, and TIMESTAMP_NTZ) is a naive time: read at the UTC offset the run
  is given (`sla check --parquet-timezone`), else its row is rejected, saying
  so; read through a column mapping, it is written without an offset
  (AS_WRITTEN), and the mapping's `timezone` reads it. The fraction is left out when it is zero, six digits when it is whole
  microseconds, else nine (the row engine rejects those).
- A date is `2024-03-19`, a time of day `13:19:13` with the same fraction, a
  duration ISO 8601 seconds (`PT300S`, `-PT0.5S`), a UUID its canonical text, a
  DECIMAL its exact digits (`1200.00`, as the core format writes an amount).
- A dictionary-encoded column (pandas writes a category so) is decoded: its
  values are what a JSON export holds, and the column then fits the staging.
- Another extension type is read as its storage, but for JSON text and bool8,
  which read as their values already.
- An instant or date outside the years 0001-9999 (which Arrow can hold and no
  RFC 3339 text names) is not written: its row is rejected, naming the field,
  as `engine.columnar.utf8` rejects text that is not UTF-8.
"""

from __future__ import annotations

from typing import Any, Callable

from engine.columnar.utf8 import FieldPath

PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
FIRST_DAY, PAST_LAST_DAY = -719_162, 2_932_897  # 0001-01-01 and 10000-01-01, in days from 1970-01-01
SECONDS_A_DAY = 86_400
KEPT_EXTENSIONS = ("arrow.json", "arrow.bool8")  # read as their values (text, booleans) as they are
AS_WRITTEN = "as written"  # `naive`: a zone-less TIMESTAMP written without an offset (a column mapping's `timezone` reads it)


def _pa() -> Any:
    import pyarrow  # the `columnar` extra

    return pyarrow


def jsonable(batch: Any, naive: int | str | None = None) -> tuple[Any, dict[int, list[tuple[FieldPath, str]]]]:
    """`batch` with each value JSON has no type for written as text (nested ones too), and the rows
    (0-based) holding one that cannot be, each with (path, reason) per field. `naive`: the UTC offset
    (seconds east) of TIMESTAMP values without a time zone, AS_WRITTEN to write them without one, or
    None to reject them. A batch without such columns is returned as it is, at no cost."""
    pa = _pa()
    if not any(_needs_text(t) for t in batch.schema.types):
        return batch, {}
    columns, found = [], {}
    for field, column in zip(batch.schema, batch.columns):
        if not _needs_text(field.type):
            columns.append(column)
            continue
        lost: list[bool] = []  # whether a leaf's text left out a value (one `_beyond` rejects)

        def leaf(a: Any) -> Any:
            text = _as_text(a, naive)
            lost.append(text.null_count > a.null_count)
            return text
        columns.append(_mapped(column, leaf))
        if any(lost):
            for row, problems in _beyond(column, field.name, naive).items():
                found.setdefault(row, []).extend(problems)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names), dict(sorted(found.items()))


def _needs_text(t: Any) -> bool:
    """Whether Arrow type `t` holds (or nests) a value this module writes as text."""
    pa = _pa()
    if _leaf_kind(t) is not None or isinstance(t, pa.BaseExtensionType) or pa.types.is_dictionary(t):
        return True
    return any(_needs_text(child) for child in _children(t))


def _children(t: Any) -> list[Any]:
    pa = _pa()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(t):
        return [t.value_type]
    if pa.types.is_map(t):
        return [t.key_type, t.item_type]
    if pa.types.is_struct(t):
        return [t.field(i).type for i in range(t.num_fields)]
    if pa.types.is_dictionary(t):
        return [t.value_type]
    return []


def _is_list_view(t: Any) -> bool:
    types = _pa().types
    return any(getattr(types, f"is_{name}", lambda _: False)(t) for name in ("list_view", "large_list_view"))


def _leaf_kind(t: Any) -> str | None:
    """"timestamp", "date", "time", "duration", "uuid" or "decimal" for a type written as text here, else None."""
    pa = _pa()
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_duration(t):
        return "duration"
    if isinstance(t, pa.BaseExtensionType) and t.extension_name == "arrow.uuid":
        return "uuid"
    if pa.types.is_decimal(t):
        return "decimal"
    return None


def _mapped(array: Any, leaf: Callable[[Any], Any]) -> Any:
    """`array` with `leaf` applied to each leaf array that needs text, lists, maps, structs and
    dictionaries rebuilt around the results (a sliced array too)."""
    pa = _pa()
    t = array.type
    if not _needs_text(t):
        return array
    if _leaf_kind(t) is not None:
        return leaf(array)
    if isinstance(t, pa.BaseExtensionType):
        return array if t.extension_name in KEPT_EXTENSIONS else _mapped(array.storage, leaf)
    if pa.types.is_dictionary(t):
        return _mapped(array.dictionary_decode(), leaf)
    if pa.types.is_struct(t):
        children = [_mapped(child, leaf) for child in array.flatten()]
        return pa.StructArray.from_arrays(children, names=[t.field(i).name for i in range(t.num_fields)],
                                          mask=array.is_null())
    if _is_list_view(t):  # Arrow casts a list view to a list with the same rows
        return _mapped(array.cast(pa.large_list(t.value_field)), leaf)
    offsets, values = _list_parts(array)
    if pa.types.is_map(t):  # a null map is a null offset (pyarrow 15 takes no mask here)
        import pyarrow.compute as pc

        null = pa.concat_arrays([array.is_null(), pa.array([False])])
        offsets = pc.if_else(null, pa.scalar(None, offsets.type), offsets)
        return pa.MapArray.from_arrays(offsets, _mapped(values.field(0), leaf), _mapped(values.field(1), leaf))
    build = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray
    return build.from_arrays(offsets, _mapped(values, leaf), mask=array.is_null())


def _list_parts(array: Any) -> tuple[Any, Any]:
    """A list-like array's offsets (from 0) and the values its rows hold; a fixed-size list's made up."""
    pa = _pa()
    import pyarrow.compute as pc

    if pa.types.is_fixed_size_list(array.type):
        size = array.type.list_size
        start = array.offset * size
        return pa.array(range(0, (len(array) + 1) * size, size), pa.int32()), \
            array.values.slice(start, len(array) * size)
    offsets = array.offsets
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    return pc.subtract(offsets, first), array.values.slice(first, last - first)


def _as_text(array: Any, naive: int | str | None) -> Any:
    """One leaf array (of a `_leaf_kind`) as its values' text; a value `_beyond` rejects is left null."""
    pa = _pa()
    kind = _leaf_kind(array.type)
    if kind == "decimal":
        if 0 <= array.type.scale <= 6:  # never scientific notation in Python: Arrow writes the same digits
            return array.cast(pa.string())
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())  # pyarrow 15: 0.E-10
    if kind == "uuid":
        return pa.array([None if b is None else _uuid_text(b) for b in array.storage.to_pylist()], pa.string())
    if kind == "duration":
        unit = array.type.unit
        return pa.array([None if v is None else _duration_text(v, unit) for v in _integers(array).to_pylist()],
                        pa.string())
    return _clock_text(*_clock(array, naive))


def _clock(array: Any, naive: int | str | None) -> tuple[Any, str, str, str]:
    """A timestamp, date or time array as integer units since the epoch (the UTC wall clock for an
    instant with a zone or a naive one at the offset `naive`; values out of range, and naive ones
    without an offset, nulled), their unit, what to write ("datetime", "date", "time") and the
    suffix ("Z" for an instant)."""
    pa = _pa()
    import pyarrow.compute as pc

    t, shift = array.type, 0
    if pa.types.is_timestamp(t):
        raw, unit, parts, zone = _integers(array), t.unit, "datetime", "Z" if t.tz or isinstance(naive, int) else ""
        if not t.tz:
            if naive is None:  # no offset to read it at: every value is the row engine's naive time
                return pa.nulls(len(array), pa.int64()), unit, parts, zone
            if isinstance(naive, int):
                shift = naive * PER_SECOND[unit]
    elif pa.types.is_date(t):
        unit = "ms" if pa.types.is_date64(t) else "s"
        raw = _integers(array) if unit == "ms" else pc.multiply(_integers(array), SECONDS_A_DAY)
        parts, zone = "date", ""
    else:
        raw, unit, parts, zone = _integers(array), t.unit, "time", ""
    day = SECONDS_A_DAY * PER_SECOND[unit]
    low, high = (0, day) if parts == "time" else (FIRST_DAY * day, PAST_LAST_DAY * day)
    low, last = max(low + shift, -2**63), min(high - 1 + shift, 2**63 - 1)  # nanoseconds reach 1677-2262 only
    inside = pc.and_(pc.greater_equal(raw, low), pc.less_equal(raw, last))
    kept = pc.if_else(inside, raw, pa.scalar(None, pa.int64()))
    return (pc.subtract(kept, shift) if shift else kept), unit, parts, zone


def _integers(array: Any) -> Any:
    """A temporal array's stored integers (days, units since the epoch or midnight) as int64."""
    pa = _pa()
    return array.view(pa.int32() if array.type.bit_width == 32 else pa.int64()).cast(pa.int64())


def _clock_text(raw: Any, unit: str, parts: str, zone: str) -> Any:
    """Integer `unit`s since the epoch (UTC, in range) as ISO 8601 text, as Python's isoformat writes
    it: the fraction left out when zero, six digits when whole microseconds, nine when not. Built from
    Arrow's calendar fields (0.34 µs a value against strftime's 1.0, which also writes every fraction)."""
    pa = _pa()
    import pyarrow.compute as pc

    at = raw.view(pa.timestamp(unit))

    def digits(field: Any, width: int) -> Any:
        return pc.utf8_lpad(field(at).cast(pa.string()), width=width, padding="0")

    pieces: list[Any] = []
    if parts in ("datetime", "date"):
        pieces += [digits(pc.year, 4), "-", digits(pc.month, 2), "-", digits(pc.day, 2)]
    if parts == "datetime":
        pieces.append("T")
    if parts in ("datetime", "time"):
        pieces += [digits(pc.hour, 2), ":", digits(pc.minute, 2), ":", digits(pc.second, 2)]
        if unit != "s":
            pieces.append(_fraction(at, unit))
    return pc.binary_join_element_wise(*pieces, zone, "")


def _fraction(at: Any, unit: str) -> Any:
    """The text after the seconds: "", ".ffffff", or ".fffffffff" when the nanoseconds are not zero."""
    pa = _pa()
    import pyarrow.compute as pc

    micro = pc.add(pc.multiply(pc.millisecond(at), 1000), pc.microsecond(at))
    six = pc.if_else(pc.equal(micro, 0), "",
                     pc.binary_join_element_wise(".", pc.utf8_lpad(micro.cast(pa.string()), width=6, padding="0"), ""))
    if unit != "ns":
        return six
    nano = pc.add(pc.multiply(micro, 1000), pc.nanosecond(at))
    nine = pc.binary_join_element_wise(".", pc.utf8_lpad(nano.cast(pa.string()), width=9, padding="0"), "")
    return pc.if_else(pc.equal(pc.nanosecond(at), 0), six, nine)


def _uuid_text(b: bytes) -> str:
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _duration_text(value: int, unit: str) -> str:
    """A duration of `value` `unit`s as ISO 8601 seconds, exactly: PT300S, -PT0.5S."""
    per = PER_SECOND[unit]
    whole, part = divmod(abs(value), per)
    fraction = f".{part:0{len(str(per)) - 1}d}".rstrip("0") if part else ""
    return f"{'-' if value < 0 else ''}PT{whole}{fraction}S"


def _beyond(column: Any, name: str, naive: int | str | None) -> dict[int, list[tuple[FieldPath, str]]]:
    """The rows of `column` holding an instant, date or time no text names (outside the years 0001-9999,
    or a time of day outside the day, or a naive TIMESTAMP without `naive`), each with (path, reason),
    walked in Python row by row for the paths: called only for a column whose text left a value out."""
    found: dict[int, list[tuple[FieldPath, str]]] = {}
    values = _mapped(column, lambda a: _as_integers(a, naive)).to_pylist()
    for i, value in enumerate(values):
        problems: list[tuple[FieldPath, str]] = []
        _walk(value, column.type, (name,), problems, naive)
        if problems:
            found[i] = problems
    return found


def _as_integers(array: Any, naive: int | str | None) -> Any:
    """A leaf array with each value out of range as its integer, the others null: what `_walk` reads."""
    pa = _pa()
    import pyarrow.compute as pc

    if _leaf_kind(array.type) not in ("timestamp", "date", "time"):
        return pa.nulls(len(array), pa.int64())
    return pc.if_else(_clock(array, naive)[0].is_null(), _integers(array), pa.scalar(None, pa.int64()))


def _walk(value: Any, t: Any, path: FieldPath, found: list[tuple[FieldPath, str]], naive: int | str | None) -> None:
    """Note in `found` each integer `_as_integers` left in `value` (of the column's type `t`), by path."""
    pa = _pa()
    if value is None:
        return
    kind = _leaf_kind(t)
    if kind is not None:
        found.append((path, _why_beyond(t, value, naive)))
        return
    if isinstance(t, pa.BaseExtensionType):
        if t.extension_name not in KEPT_EXTENSIONS:
            _walk(value, t.storage_type, path, found, naive)
        return
    if pa.types.is_dictionary(t):
        _walk(value, t.value_type, path, found, naive)
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            f = t.field(i)
            _walk(value[f.name], f.type, (*path, f.name), found, naive)
    elif pa.types.is_map(t):
        for i, (k, v) in enumerate(value):
            _walk(k, t.key_type, (*path, i, "key"), found, naive)
            _walk(v, t.item_type, (*path, i, "value"), found, naive)
    elif _children(t):
        for i, v in enumerate(value):
            _walk(v, t.value_type, (*path, i), found, naive)


def _why_beyond(t: Any, value: int, naive: int | str | None) -> str:
    pa = _pa()
    if pa.types.is_timestamp(t) and not t.tz and naive is None:
        return (f"a Parquet {t} without a time zone (INT96, as Spark writes timestamps by default, or "
                "TIMESTAMP_NTZ) is a naive time; give the export's UTC offset with --parquet-timezone (e.g. UTC)")
    if pa.types.is_time(t):
        return f"{t} value {value:,} {t.unit} is not a time within a day"
    unit = "days" if pa.types.is_date32(t) else getattr(t, "unit", "ms")
    return f"{t} value {value:,} {unit} from 1970-01-01 is outside the years 0001-9999 that RFC 3339 text names"
