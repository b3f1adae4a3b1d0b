"""A tick's agent states as columns (`EventSink.broadcast_updates`), checked per column.

Agent i's data is `{name: column[i] for each column}`: its whole data, as an
`agent_update` always carries. A column is a 1-D numpy array of numbers or booleans (no
NaN or infinity: JSON has none), or a sequence of JSON scalars (numbers, strings,
booleans, null). The ids are checked against the contract's `AgentId` once for the lot,
and each column once: nothing is validated per agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol, cast, runtime_checkable

from pydantic import Field, StrictBool, StrictInt, StrictStr, TypeAdapter, ValidationError

from spine_ws.generated.models import AgentId

__all__ = ["Column", "checked", "float64", "rows"]


@runtime_checkable
class Array(Protocol):
    """A numpy array, as read here: through its `dtype` and `tolist`, so that numpy is
    not a dependency of the server."""

    @property
    def dtype(self) -> Any: ...

    @property
    def ndim(self) -> int: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: Any) -> Any: ...

    def tolist(self) -> Any: ...


# What one column may be: a numpy array or a sequence of scalars.
Column = Sequence[Any] | Array

_Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
_SCALARS: TypeAdapter[list[Any]] = TypeAdapter(
    list[StrictBool | StrictInt | _Finite | StrictStr | None]
)
_IDS: TypeAdapter[list[str]] = TypeAdapter(list[AgentId])
# numpy's dtype kinds that are JSON: bool, signed and unsigned integer, float.
_NUMERIC = "biuf"


def rows(agent_ids: Sequence[str], columns: Mapping[str, Column]) -> list[dict[str, Any]]:
    """Each agent's data, in the order of `agent_ids`; ValueError names the first column
    (and index) that is not as the contract wants."""
    names, values = checked(agent_ids, columns)
    lists = [v.tolist() if isinstance(v, Array) else v for v in values]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def checked(
    agent_ids: Sequence[str], columns: Mapping[str, Column], *, ids_checked: bool = False
) -> tuple[list[str], list[Any]]:
    """The columns' names and values, checked as `rows` says: each a list, or a numpy
    float array as it is (its float64 bytes are the frame's; a list is made only if an
    agent's data is asked for). `ids_checked`: these ids were checked before."""
    ids = list(agent_ids)
    if not ids_checked:
        try:
            _IDS.validate_python(ids)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise ValueError(f"agent_ids[{error['loc'][0]}]: {error['msg']}") from None
        if len(set(ids)) != len(ids):
            raise ValueError("agent_ids: an agent appears twice in one tick")
    if not columns:
        raise ValueError("columns: at least one (an agent's data is its columns)")
    names = list(columns)
    return names, [_column(name, columns[name], len(ids)) for name in names]


def float64(columns: Mapping[str, Column]) -> dict[str, bytes]:
    """The numpy columns (checked) that are numeric, as little-endian float64 bytes made
    by numpy: what a columns frame carries, without a loop over the values. An integer
    array is one only if a float64 holds each of its values exactly."""
    packed: dict[str, bytes] = {}
    for name, column in columns.items():
        if not isinstance(column, Array) or column.dtype.kind not in "iuf":
            continue
        import numpy  # only where the column is numpy's already

        array = cast(Any, column)
        if column.dtype.kind != "f" and len(array) and numpy.abs(array).max() > 2**53:
            continue
        packed[name] = array.astype("<f8").tobytes()
    return packed


def _column(name: object, column: Column, length: int) -> Any:
    if not isinstance(name, str) or not name:
        raise ValueError(f"columns: {name!r} is not a member name")
    if len(column) != length:
        raise ValueError(f"columns[{name!r}]: {len(column)} values for {length} agents")
    if not isinstance(column, Array):
        try:
            return _SCALARS.validate_python(column)
        except ValidationError as exc:
            index = exc.errors()[0]["loc"][0]
            value = column[index] if isinstance(index, int) else column
            problem = f"{value!r} is not a finite number, a string, a boolean or null"
            raise ValueError(f"columns[{name!r}][{index}]: {problem}") from None
    dtype = column.dtype
    if dtype.kind not in _NUMERIC or column.ndim != 1:
        raise ValueError(f"columns[{name!r}]: a {dtype} array; numbers or booleans, 1-D")
    if dtype.kind == "f":
        import numpy  # only where the column is numpy's already

        bad = numpy.flatnonzero(~numpy.isfinite(cast(Any, column)))
        if bad.size:
            raise ValueError(f"columns[{name!r}][{bad[0]}]: {column[bad[0]]} is not JSON")
        return column  # `float64` packs it; a list only if an agent's data is asked for
    values: list[Any] = column.tolist()
    return values
