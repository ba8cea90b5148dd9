"""Bulk reads: one statement's aggregated columns through binary COPY, as numpy arrays.

A query packs each row's fixed-width columns into one record (int8send(a) || float8send(b) ...) and
aggregates a table's records into one bytea (string_agg), so the table arrives as a few buffers in one row: no per-row Python,
no ORM objects, no hex encoding, and every column from one snapshot.
"""
from __future__ import annotations

import io
import struct

import numpy as np
import shapely
from sqlalchemy.orm import Session

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def copy_row(session: Session, select_sql: str) -> list[bytes | None]:
    """The single row of `select_sql` as raw binary field values (None for NULL), in the session's transaction."""
    buffer = io.BytesIO()
    cursor = session.connection().connection.cursor()
    try:
        cursor.copy_expert(f"COPY ({select_sql}) TO STDOUT (FORMAT binary)", buffer)
    finally:
        cursor.close()
    return parse_one_row(buffer.getvalue())


def parse_one_row(data: bytes) -> list[bytes | None]:
    """The fields of the one tuple in a binary COPY stream (PostgreSQL's documented file format)."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    pos = len(_SIGNATURE) + 4
    (extension,) = struct.unpack_from(">i", data, pos)
    pos += 4 + extension
    (n_fields,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if n_fields < 0:
        raise ValueError("the query returned no row")
    fields: list[bytes | None] = []
    for _ in range(n_fields):
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if size < 0:
            fields.append(None)
            continue
        fields.append(data[pos:pos + size])
        pos += size
    return fields


def records(field: bytes, dtype: np.dtype) -> np.ndarray:
    """Concatenated fixed-width records (e.g. int8send(a) || float8send(b) per row) -> structured array."""
    if len(field) % dtype.itemsize:
        raise ValueError(f"{len(field)} bytes is not a whole number of {dtype.itemsize}-byte records")
    return np.frombuffer(field, dtype=dtype)


def ints(field: bytes | None) -> np.ndarray:
    """int8send values -> int64 array."""
    return np.frombuffer(field or b"", dtype=">i8").astype(np.int64)


def floats(field: bytes | None) -> np.ndarray:
    """float8send values -> float64 array."""
    return np.frombuffer(field or b"", dtype=">f8").astype(np.float64)


def bools(field: bytes | None) -> np.ndarray:
    """boolsend values (one byte each) -> bool array."""
    return np.frombuffer(field or b"", dtype=np.uint8).astype(bool)


def texts(field: bytes | None, n: int, sep: str = "\x1f") -> np.ndarray:
    """string_agg(..., sep) of n values -> object array of str."""
    parts = (field or b"").decode("utf-8").split(sep) if n else []
    if len(parts) != n:
        raise ValueError(f"expected {n} text values, got {len(parts)}")
    return np.array(parts, dtype=object)


def linestrings(coords: bytes | None, n_points: np.ndarray) -> np.ndarray:
    """Concatenated little-endian x/y doubles of each line (its WKB after the 9-byte header) -> LineStrings."""
    xy = np.frombuffer(coords or b"", dtype="<f8").reshape(-1, 2)
    if len(xy) != int(n_points.sum()):
        raise ValueError("line coordinates do not match their point counts")
    if len(n_points) == 0:
        return np.empty(0, dtype=object)
    return np.asarray(shapely.linestrings(xy, indices=np.repeat(np.arange(len(n_points)), n_points)), dtype=object)
