"""The settings of a workbook connection: the fields the user fills in and their checked
form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from erp_tui.connectors.base import Refusal, as_settings, read_only_setting, setting
from erp_tui.connectors.workbook.values import as_bool
from erp_tui.contract import FieldAccess, FieldInfo, FieldType
from erp_tui.i18n import N_, Msg, msg

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
        setting("path", "Workbook", "Path of the .xlsx or .xlsm file.",
                ("Werkmap", "Pad naar het .xlsx- of .xlsm-bestand."),
                type=T.TEXT, access=FieldAccess.MANDATORY),
        setting("lists", "Lists",
                "Columns that take their values from a list sheet, e.g. "
                "'Customer.country=Countries; Customer.category=Groups'.",
                ("Lijsten", "Kolommen die hun waarden uit een lijstblad halen, bijvoorbeeld "
                            "'Customer.country=Countries; Customer.category=Groups'."),
                type=T.TEXT),
        setting("type_overrides", "Type overrides",
                "Column types to use instead of the inferred ones, e.g. "
                "'Customer.zip=text; Project.start=date' (text, integer, "
                "double, checkbox, date, datetime).",
                ("Andere kolomtypen", "Kolomtypen die in plaats van de afgeleide worden "
                                      "gebruikt, bijvoorbeeld 'Customer.zip=text; "
                                      "Project.start=date' (text, integer, double, checkbox, "
                                      "date, datetime)."),
                type=T.TEXT),
        read_only_setting("the workbook"),
        setting("time_zone", "Time zone",
                "Time zone of LastModified values written without one (as "
                "macros write Now), e.g. 'Europe/Amsterdam'; empty: this "
                "machine's zone.",
                ("Tijdzone", "Tijdzone van LastModified-waarden die zonder tijdzone zijn "
                             "geschreven (zoals macro's Now schrijven), bijvoorbeeld "
                             "'Europe/Amsterdam'; leeg: de tijdzone van deze computer."),
                type=T.TEXT),
        setting("read_again", "Read again (seconds)",
                "Every incremental read also reads the rows stamped this "
                "long before the last one read, so late or date-only stamps "
                "are not missed (rows read twice are harmless).",
                ("Opnieuw lezen (seconden)",
                 "Elke incrementele leesbeurt leest ook de rijen die zo lang vóór de laatst "
                 "gelezen rij zijn gestempeld, zodat late stempels of stempels met alleen een "
                 "datum niet worden gemist (twee keer gelezen rijen kunnen geen kwaad)."),
                type=T.INTEGER, default=str(DEFAULT_READ_AGAIN)),
    ]


def parse_settings(values: Mapping[str, Any]) -> WorkbookSettings:
    """Check and normalise config values; raises Refusal with one clear sentence."""
    values = as_settings(values)
    raw_path = values.get("path")
    if raw_path is None or not str(raw_path).strip():
        raise Refusal(msg("Fill in the path of the workbook (.xlsx or .xlsm)."), "config")
    path = Path(str(raw_path).strip()).expanduser()
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise Refusal(msg("{name} is not an .xlsx or .xlsm workbook.", name=path.name), "config")
    lists = _pairs(values.get("lists"), N_("Lists"), "Customer.country=Countries")
    overrides: dict[tuple[str, str], FieldType] = {}
    for target, name in _pairs(values.get("type_overrides"), N_("Type overrides"),
                               "Customer.zip=text").items():
        ftype = _TYPE_NAMES.get(name.lower())
        if ftype is None:
            raise Refusal(msg("Type overrides: {name!r} is not one of {names}.",
                              name=name, names=', '.join(_TYPE_NAMES)), "config")
        overrides[target] = ftype
    return WorkbookSettings(path=path, lists=lists, overrides=overrides,
                            read_only=as_bool(values.get("read_only"), N_("Read only")),
                            zone=_zone(values.get("time_zone")),
                            read_again_us=_read_again(values.get("read_again")) * 1_000_000)


def _pairs(text: Any, label: str, example: str) -> dict[tuple[str, str], str]:
    """`Actor.field=value; ...` as {(actor, field): value}; raises Refusal."""
    if text is None:
        return {}
    if not isinstance(text, str):
        raise Refusal(msg("{label} must be text like {example!r}.",
                          label=Msg(label), example=example), "config")
    out: dict[tuple[str, str], str] = {}
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        target, sep, value = part.partition("=")
        actor, dot, field_key = target.strip().partition(".")
        if not sep or not dot or not actor.strip() or not field_key.strip() \
                or not value.strip():
            raise Refusal(msg("{label}: {part!r} is not written like {example!r}.",
                              label=Msg(label), part=part, example=example), "config")
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
        raise Refusal(msg("Time zone: {name!r} is not a time zone name such as "
                          "'Europe/Amsterdam' or 'UTC'.",
                          name=name), "config") from None


def _read_again(value: Any) -> int:
    """Seconds of the read-again window; raises Refusal."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_READ_AGAIN
    try:
        seconds = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        seconds = -1
    if isinstance(value, bool) or not 0 <= seconds <= MAX_READ_AGAIN:
        raise Refusal(msg("Read again must be a whole number of seconds from 0 to "
                          "{MAX_READ_AGAIN}.",
                          MAX_READ_AGAIN=MAX_READ_AGAIN), "config")
    return seconds
