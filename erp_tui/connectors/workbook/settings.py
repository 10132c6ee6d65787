"""The settings of a workbook connection: the fields the user fills in and their checked
form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from erp_tui.connectors.base import Refusal, as_settings, read_only_setting
from erp_tui.connectors.workbook.values import as_bool
from erp_tui.contract import FieldAccess, FieldInfo, FieldType

DEFAULT_READ_AGAIN = 90_000  # 25 hours: a stamp that is a date alone, plus a DST hour
MAX_READ_AGAIN = 31 * 86_400

_TYPE_NAMES = {t.value: t for t in (FieldType.TEXT, FieldType.INTEGER, FieldType.DOUBLE,
                                    FieldType.CHECKBOX, FieldType.DATE, FieldType.DATETIME)}


@dataclass(frozen=True)
class WorkbookSettings:
    """The checked settings of one connection."""

    path: Path
    lists: dict[tuple[str, str], str]  # (actor type, field) -> list sheet
    overrides: dict[tuple[str, str], FieldType]  # (actor type, field) -> type to use
    read_only: bool
    zone: tzinfo | None = None  # None: the machine's local zone
    read_again_us: int = DEFAULT_READ_AGAIN * 1_000_000


def settings_fields() -> list[FieldInfo]:
    """Path, list links, type overrides, the read-only switch, time zone and read-again."""
    T = FieldType
    return [
        FieldInfo(key="path", label="Workbook",
                  description="Path of the .xlsx or .xlsm file.", type=T.TEXT,
                  access=FieldAccess.MANDATORY),
        FieldInfo(key="lists", label="Lists",
                  description="Columns that take their values from a list sheet, e.g. "
                              "'Customer.country=Countries; Customer.category=Groups'.",
                  type=T.TEXT),
        FieldInfo(key="type_overrides", label="Type overrides",
                  description="Column types to use instead of the inferred ones, e.g. "
                              "'Customer.zip=text; Project.start=date' (text, integer, "
                              "double, checkbox, date, datetime).", type=T.TEXT),
        read_only_setting("the workbook"),
        FieldInfo(key="time_zone", label="Time zone",
                  description="Time zone of LastModified values written without one (as "
                              "macros write Now), e.g. 'Europe/Amsterdam'; empty: this "
                              "machine's zone.", type=T.TEXT),
        FieldInfo(key="read_again", label="Read again (seconds)",
                  description="Every incremental read also reads the rows stamped this "
                              "long before the last one read, so late or date-only stamps "
                              "are not missed (rows read twice are harmless).",
                  type=T.INTEGER, default=str(DEFAULT_READ_AGAIN)),
    ]


def parse_settings(values: Mapping[str, Any]) -> WorkbookSettings:
    """Check and normalise config values; raises Refusal with one clear sentence."""
    values = as_settings(values)
    raw_path = values.get("path")
    if raw_path is None or not str(raw_path).strip():
        raise Refusal("Fill in the path of the workbook (.xlsx or .xlsm).", "config")
    path = Path(str(raw_path).strip()).expanduser()
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise Refusal(f"{path.name} is not an .xlsx or .xlsm workbook.", "config")
    lists = _pairs(values.get("lists"), "Lists", "Customer.country=Countries")
    overrides: dict[tuple[str, str], FieldType] = {}
    for target, name in _pairs(values.get("type_overrides"), "Type overrides",
                               "Customer.zip=text").items():
        ftype = _TYPE_NAMES.get(name.lower())
        if ftype is None:
            raise Refusal(f"Type overrides: {name!r} is not one of "
                          f"{', '.join(_TYPE_NAMES)}.", "config")
        overrides[target] = ftype
    return WorkbookSettings(path=path, lists=lists, overrides=overrides,
                            read_only=as_bool(values.get("read_only"), "Read only"),
                            zone=_zone(values.get("time_zone")),
                            read_again_us=_read_again(values.get("read_again")) * 1_000_000)


def _pairs(text: Any, label: str, example: str) -> dict[tuple[str, str], str]:
    """`Actor.field=value; ...` as {(actor, field): value}; raises Refusal."""
    if text is None:
        return {}
    if not isinstance(text, str):
        raise Refusal(f"{label} must be text like {example!r}.", "config")
    out: dict[tuple[str, str], str] = {}
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        target, sep, value = part.partition("=")
        actor, dot, field_key = target.strip().partition(".")
        if not sep or not dot or not actor.strip() or not field_key.strip() \
                or not value.strip():
            raise Refusal(f"{label}: {part!r} is not written like {example!r}.", "config")
        out[(actor.strip(), field_key.strip())] = value.strip()
    return out


def _zone(value: Any) -> tzinfo | None:
    """The zone named by the Time zone setting; None (the machine's zone) when empty."""
    name = "" if value is None else str(value).strip()
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refusal(f"Time zone: {name!r} is not a time zone name such as "
                      f"'Europe/Amsterdam' or 'UTC'.", "config") from None


def _read_again(value: Any) -> int:
    """Seconds of the read-again window; raises Refusal."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_READ_AGAIN
    try:
        seconds = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        seconds = -1
    if isinstance(value, bool) or not 0 <= seconds <= MAX_READ_AGAIN:
        raise Refusal(f"Read again must be a whole number of seconds from 0 to "
                      f"{MAX_READ_AGAIN}.", "config")
    return seconds
