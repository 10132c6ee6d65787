"""Saving a workbook atomically (temporary file, fsync, replace), with the sheets' printer
settings carried over: openpyxl drops those parts."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import posixpath
import re
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any


def atomic_save(wb: Any, path: Path) -> None:
    """Save `wb` over `path` atomically: temporary file in the same folder, fsync, replace."""
    directory = path.parent
    _remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            buffer = io.BytesIO()
            wb.save(buffer)
            handle.write(_carry_over_parts(path, buffer.getvalue()))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PRINTER_REL = _DOC_REL_NS + "/printerSettings"
_PRINTER_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the part (e.g. xl/worksheets/sheet1.xml) that holds it."""
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_DOC_REL_NS}}}id"), "")
        out[sheet.get("name", "")] = posixpath.normpath(
            target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))
    return out


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _carry_over_parts(original: Path, saved: bytes) -> bytes:
    """`saved` (openpyxl's package) with the sheets' printer settings of `original` put back:
    openpyxl drops those parts (the page setup Excel keeps per printer)."""
    try:
        with zipfile.ZipFile(original) as old, zipfile.ZipFile(io.BytesIO(saved)) as new:
            carried = _dropped_printer_parts(old, new)
            if not carried:
                return saved
            return _with_printer_parts(old, new, carried)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, SyntaxError):
        return saved  # nothing to carry over from a package that cannot be read


def _dropped_printer_parts(old: zipfile.ZipFile, new: zipfile.ZipFile) -> dict[str, bytes]:
    """New sheet part -> the printer settings part its sheet had in `old` and lost in
    `new`."""
    from xml.etree import ElementTree

    old_sheets, new_sheets = _sheet_parts(old), _sheet_parts(new)
    old_names, new_names = set(old.namelist()), set(new.namelist())
    carried: dict[str, bytes] = {}
    for name, old_part in old_sheets.items():
        rels = _rels_name(old_part)
        if rels not in old_names or name not in new_sheets:
            continue
        for rel in ElementTree.fromstring(old.read(rels)):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(posixpath.dirname(old_part), target))
            if rel.get("Type") == _PRINTER_REL and part in old_names \
                    and part not in new_names:
                carried[new_sheets[name]] = part.encode()
                break
    return carried


def _with_printer_parts(old: zipfile.ZipFile, new: zipfile.ZipFile,
                        carried: dict[str, bytes]) -> bytes:
    """The package `new` with the printer parts of `old` added and linked to their sheets."""
    new_names = set(new.namelist())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as result:
        types = new.read("[Content_Types].xml").decode()
        extra_types = "".join(
            f'<Override PartName="/{part.decode()}" ContentType="{_PRINTER_TYPE}"/>'
            for part in carried.values())
        types = types.replace("</Types>", extra_types + "</Types>")
        added_rels: dict[str, str] = {}
        sheets_done: dict[str, bytes] = {}
        for sheet_part, printer in carried.items():
            rels = _rels_name(sheet_part)
            text = new.read(rels).decode() if rels in new_names else (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{_REL_NS}"></Relationships>')
            used = set(re.findall(r'Id="([^"]+)"', text))
            rid = next(f"rIdP{i}" for i in range(1, 1000) if f"rIdP{i}" not in used)
            target = posixpath.relpath(printer.decode(), posixpath.dirname(sheet_part))
            text = text.replace("</Relationships>", f'<Relationship Id="{rid}" Type='
                                f'"{_PRINTER_REL}" Target="{target}"/></Relationships>')
            added_rels[rels] = text
            sheets_done[sheet_part] = _with_page_setup_id(new.read(sheet_part), rid)
        for item in new.infolist():
            if item.filename == "[Content_Types].xml":
                result.writestr(item, types)
            elif item.filename in added_rels:
                result.writestr(item, added_rels.pop(item.filename))
            elif item.filename in sheets_done:
                result.writestr(item, sheets_done[item.filename])
            else:
                result.writestr(item, new.read(item.filename))
        for name, text in added_rels.items():
            result.writestr(name, text)
        for printer in carried.values():
            result.writestr(printer.decode(), old.read(printer.decode()))
    return out.getvalue()


def _with_page_setup_id(xml: bytes, rid: str) -> bytes:
    """A sheet's XML whose pageSetup points at relationship `rid` (added when missing)."""
    text = xml.decode("utf-8")
    root = re.search(r"<worksheet\b[^>]*>", text)
    if root is None:
        return xml
    if f'xmlns:r="{_DOC_REL_NS}"' not in root.group():
        head = root.group()[:-1] + f' xmlns:r="{_DOC_REL_NS}">'
        text = text[:root.start()] + head + text[root.end():]
    setup = re.search(r"<pageSetup\b([^>]*?)\s*/>", text)
    if setup is None:
        # pageSetup follows pageMargins (or comes before the sheet's end); keep schema order.
        margins = re.search(r"<pageMargins\b[^>]*/>", text)
        at = margins.end() if margins else text.rindex("</sheetData>") + len("</sheetData>")
        text = text[:at] + f'<pageSetup r:id="{rid}"/>' + text[at:]
    elif "r:id=" not in setup.group(1):
        text = (text[:setup.start()] + f'<pageSetup{setup.group(1)} r:id="{rid}"/>' +
                text[setup.end():])
    return text.encode("utf-8")


def _remove_stale_temporaries(path: Path, older_than: float = 3600.0) -> None:
    """Remove temporary files of saves killed long ago (they are never the workbook)."""
    limit = time.time() - older_than
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < limit:
                stale.unlink()
