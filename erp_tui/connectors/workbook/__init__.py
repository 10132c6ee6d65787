"""The workbook connector: the connector contract over an Excel workbook (.xlsx/.xlsm).

Layout of the workbook:

* One sheet per actor type (`Customer`, `Supplier`, `Person`, `Project`; sheets that are
  missing are actor types the ERP does not have). Row 1 is the header. Column `ID` holds the
  ERP key, column `LastModified` the last-modified stamp; `Person` rows may carry `ParentType`
  and `ParentID`; an optional `Deleted` column (true/false) marks deleted actors. Every other
  header is a field (key and label = the header text).
* Field types are inferred from all cells of a column (text, integer, double, checkbox, date,
  datetime), never from the first few: one text cell among numbers makes the column text;
  numbers under a code-like header (Zip, PostalCode, Phone, IBAN, VAT, ...) are read as text;
  a column of only 0 and 1 is a checkbox only when its header says so (IsActive, HasX,
  Blocked, ...), cells of TRUE/FALSE or yes/no are. A type that may be wrong — fewer than
  `SURE_SAMPLE` filled cells, only 0 and 1, mixed cells — says why in the field's
  description (shown with the mappings). The `type_overrides` config value overrides, e.g.
  `Customer.zip=text; Project.start=date`.
* List sheets have an `ID` and a `Text` column and are linked to field columns through the
  `lists` config value, e.g. `Customer.country=Countries; Customer.category=Groups`. A column
  `Text.nl` holds an item's text in Dutch (`Text.` and a language code).
* An optional `Labels` sheet names columns in other languages: columns `Sheet`, `Column` and
  one per language (`nl`); a row with an empty `Column` names the sheet's actor type. Without
  it a field's label is its header; the actor types have Dutch names built in.

Rows that are entirely blank are ignored; rows without an `ID` are skipped. The parsed workbook
is cached per connection and re-read when the file's modification time or size changes.

Stamps. A LastModified date-time without a zone (what a macro's `Now` writes) is read in the
`time_zone` setting's zone (an IANA name; empty: this machine's zone, daylight saving
included); a date alone means its midnight there; ISO texts with `Z` or an offset are taken as
they are. Actors are ordered by (stamp in UTC, key). Every incremental read also returns the
rows stamped up to `read_again` seconds (default 25 hours) before its cursor, so a late,
date-only or skewed stamp is still read (rows read twice are harmless); the next page of a read
this connector began (a `next_cursor` it handed out) is not widened again. Cells without a
usable stamp get a stable derived one (1970-01-01 plus the row number in microseconds).

Deleted rows. The keys of each sheet are remembered in a file beside the workbook
(`<workbook name>.erp-tui-keys.json`); a key that is no longer in the sheet is reported deleted
(values None) with a stamp issued when it was first missed, so incremental reads report it
once; a key that comes back is live again. Where that file cannot be written, deletions are
noticed only within one process.

Writes (`create_actor`, `save_actors`) are all-or-nothing per call: the workbook is loaded in
full (macros kept for .xlsm), changed, and saved atomically — written to a temporary file in
the same folder, fsynced, then moved over the original with `os.replace` — so a crash at any
instant leaves either the old or the new workbook, never a damaged one. Cells keep their kind: a
text value written into a column of numbers goes in as a number when it is one (a numeric Zip
stays numeric; "01234" can only be text), dates stay dates, a new row takes the number formats
of the row above. The sheets' printer settings (`xl/printerSettings/*.bin`, which openpyxl
drops) are carried over into the saved package. Each written actor gets a new `LastModified`
date-time cell on the `time_zone` clock (as the workbook's macros write it), in whole
milliseconds, one millisecond apart and newer than every stamp in the workbook.


Modules: `connector` (`WorkbookConnector`, the contract), `settings` (the connection's
settings), `layout` (sheets and special columns), `book` (the parsed workbook), `inference`
(field types from cells), `values` (cell values), `stamps` (LastModified stamps), `deletions`
(keys remembered beside the workbook), `pages` (pages and the read-again window), `search`,
`writing` (checked changes written into the workbook) and `saving` (atomic saves).
"""

from erp_tui.connectors.workbook.connector import WorkbookConnector
from erp_tui.connectors.workbook.deletions import STATE_SUFFIX, state_path
from erp_tui.connectors.workbook.layout import ACTOR_SHEETS
from erp_tui.connectors.workbook.saving import atomic_save
from erp_tui.connectors.workbook.stamps import format_stamp

__all__ = ["ACTOR_SHEETS", "STATE_SUFFIX", "WorkbookConnector", "atomic_save",
           "format_stamp", "state_path"]
