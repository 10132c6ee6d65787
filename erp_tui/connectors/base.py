"""What every connector shares: refusals raised inside a connector and the guard that turns
them (and any other exception) into failure results at the contract boundary; value and
search-restriction checks with the same wording everywhere; and `ConnectorBase`, the base class
with connection bookkeeping, guarded contract methods, search results and capability flags."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar, get_type_hints

from erp_tui.contract import (
    Actor,
    ActorPage,
    Connector,
    FieldInfo,
    FieldType,
    PageResult,
    Restriction,
    Result,
    ResultState,
    SearchOperator,
    Value,
)
from erp_tui.i18n import N_, Msg, msg

P = ParamSpec("P")
R = TypeVar("R", bound=Result)


class Refusal(Exception):
    """Raised inside a connector; becomes a failure result at the method boundary."""

    def __init__(self, user_message: str, error_code: str = "error", tech_message: str = ""):
        super().__init__(user_message)
        self.user_message = user_message
        self.error_code = error_code
        self.tech_message = tech_message


# ---- guarded calls ---------------------------------------------------------------------------

def failure_of(exc: Exception, result_cls: type[R], *, who: str,
               storage_errors: tuple[type[BaseException], ...] = (),
               storage_message: str = "", storage_code: str = "database",
               hidden: Sequence[str] = ()) -> R:
    """The failure result for an exception raised inside a connector method: a refusal keeps
    its message, a storage error (`storage_errors`) gets `storage_message`, anything else
    "`who` failed unexpectedly". The values in `hidden` are blanked out of every message."""

    def clean(text: str) -> str:
        if isinstance(text, Msg):
            rebuild, (template, params, *rest) = text.__reduce__()
            return rebuild(template, {key: clean(value) if isinstance(value, str) else value
                                      for key, value in params.items()}, *rest)
        for secret in hidden:
            if secret:
                text = text.replace(secret, "***")
        return " ".join(text.split())[:2000] if hidden else text

    if isinstance(exc, Refusal):
        return result_cls.failure(
            clean(exc.user_message), error_code=exc.error_code,
            tech_message=clean(exc.tech_message or exc.user_message))
    reason = getattr(exc, "orig", None) or exc
    tech = clean(f"{type(reason).__name__}: {reason}")
    if storage_errors and isinstance(exc, storage_errors):
        return result_cls.failure(
            storage_message, tech_message=tech, error_code=storage_code)
    return result_cls.failure(
        msg("{who} failed unexpectedly; see the technical message.", who=who),
        tech_message=tech, error_code="internal")


def guarded(result_cls: type[R], *, who: str,
            storage_errors: tuple[type[BaseException], ...] = (),
            storage_message: str = "", storage_code: str = "database",
            secrets: Callable[[object], Sequence[str]] | None = None,
            ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a connector method so nothing escapes it (see `failure_of`);
    `secrets(connector)` lists values to blank out of every message. `ConnectorBase` guards
    its subclasses' contract methods without this decorator."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def guarded_method(*args: P.args, **kwargs: P.kwargs) -> R:
            hidden = secrets(args[0]) if secrets is not None and args else ()
            try:
                return method(*args, **kwargs)
            except Exception as exc:  # the contract: nothing escapes
                return failure_of(exc, result_cls, who=who, storage_errors=storage_errors,
                                  storage_message=storage_message, storage_code=storage_code,
                                  hidden=hidden)

        return guarded_method

    return wrap


def _contract_results() -> dict[str, type[Result]]:
    """Contract method name -> the result class it returns (from the `Connector` protocol)."""
    found: dict[str, type[Result]] = {}
    for name, member in vars(Connector).items():
        if inspect.isfunction(member) and not name.startswith("_"):
            found[name] = get_type_hints(member)["return"]
    return found


RESULT_CLASSES: Mapping[str, type[Result]] = _contract_results()
"""Every method of the contract -> the result class it returns."""


def joined(parts: Sequence[str], separator: str = "; ") -> Msg:
    """`parts` (messages among them) joined by `separator`, each shown in the user's
    language."""
    names = [f"part{number}" for number in range(len(parts))]
    return Msg(separator.join(f"{{{name}}}" for name in names), dict(zip(names, parts,
                                                                        strict=True)))


def reason_of(exc: BaseException) -> str:
    """The message an exception was raised with, kept a message by code when it is one."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, Msg) else str(exc)


# ---- values ----------------------------------------------------------------------------------

TRUE_TEXTS = frozenset({"1", "true", "yes", "on", "y", "t"})
FALSE_TEXTS = frozenset({"", "0", "false", "no", "off", "n", "f"})


def as_bool(value: object, label: str, true_texts: frozenset[str] = TRUE_TEXTS) -> bool:
    """A checkbox config value as a bool; a Refusal naming `label` when it is neither."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in true_texts | FALSE_TEXTS:
        return value.strip().lower() in true_texts
    raise Refusal(msg("{label} must be on or off.", label=Msg(label)), "config")


def setting(key: str, label: str, description: str, dutch: tuple[str, str],
            **more: Any) -> FieldInfo:
    """A config field with its label and description in English and, `dutch`, in Dutch."""
    return FieldInfo(key=key, label=label, description=description,
                     labels={"nl": dutch[0]}, descriptions={"nl": dutch[1]}, **more)


STORES_NL: Mapping[str, str] = {
    "the ERP": "het ERP", "the database": "de database", "the workbook": "de werkmap"}
"""The Dutch of the stores the shared settings name (`page_size_setting`, `read_only_setting`);
another store reads as given."""


def page_size_setting(source: str, default: int) -> FieldInfo:
    """The config field `page_size`: most actors read from `source` (e.g. "the ERP") at once
    (read it with `as_whole`)."""
    return setting("page_size", "Page size", f"Most actors read from {source} in one call.",
                   ("Paginagrootte",
                    f"Hoeveel actors er ten hoogste in één keer uit "
                    f"{STORES_NL.get(source, source)} worden gelezen."),
                   type=FieldType.INTEGER, default=str(default))


def read_only_setting(target: str) -> FieldInfo:
    """The config field `read_only`: refuse all writes to `target` (read it with `as_bool`)."""
    return setting("read_only", "Read only", f"Refuse all writes to {target}.",
                   ("Alleen lezen", f"Weiger elke wijziging in {STORES_NL.get(target, target)}."),
                   type=FieldType.CHECKBOX, default="false")


def as_settings(values: object) -> Mapping[str, Any]:
    """Config values as a mapping; a Refusal when they are not a set of named values."""
    if not isinstance(values, Mapping):
        raise Refusal(msg("The connection settings are not a set of named values."), "config")
    return values


def as_whole(value: object, label: str, default: int, low: int, high: int) -> int:
    """A whole-number config value from `low` to `high`, `default` when empty; a Refusal
    naming `label` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip())
    except ValueError:
        raise Refusal(msg("{label} must be a whole number.", label=Msg(label)), "config") from None
    if not low <= number <= high:
        raise Refusal(msg("{label} must be between {low} and {high}.", label=Msg(label), low=low,
                          high=high), "config")
    return number


def as_date(value: object) -> date:
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD' text; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(msg("not a date: {value!r}", value=value))


def as_datetime(value: object) -> datetime:
    """A datetime from a datetime, a date (its midnight) or an ISO text; ValueError otherwise."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return datetime.fromisoformat(value.strip())
    raise ValueError(msg("not a date and time: {value!r}", value=value))


def describe(field: FieldInfo) -> str:
    """How a field is named in messages: label and key."""
    return f"{field.label} ({field.key})"


TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.PASSWORD, FieldType.LABEL})
"""Field types whose values are text."""


def check_value(field: FieldInfo, value: object,
                list_keys: Mapping[str, Container[str]] | None = None, *,
                name: Callable[[FieldInfo], str] = describe) -> Value:
    """A value to write, checked against its field, as a contract value; ValueError(reason).

    None stays None unless the field is mandatory; text must be text (not blank when mandatory,
    at most `max_length` characters); integers, numbers (as float), true/false, dates
    (`as_date`) and date-times (`as_datetime`) must be of their type; a list value must be a
    key, an item of its list in `list_keys` when given ('' becomes None). `name(field)` names
    the field in the reason."""
    ftype = field.type
    if value is None:
        if field.mandatory:
            raise ValueError(msg("{field} is mandatory", field=name(field)))
        return None
    if ftype in TEXT_TYPES:
        if not isinstance(value, str):
            raise ValueError(msg("{field} must be text", field=name(field)))
        if field.mandatory and not value.strip():
            raise ValueError(msg("{field} is mandatory", field=name(field)))
        if field.max_length and len(value) > field.max_length:
            raise ValueError(msg("{field} is longer than {max} characters", field=name(field),
                                 max=field.max_length))
        return value
    if ftype is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(msg("{field} must be a whole number", field=name(field)))
        return value
    if ftype is FieldType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(msg("{field} must be a number", field=name(field)))
        return float(value)
    if ftype is FieldType.CHECKBOX:
        if not isinstance(value, bool):
            raise ValueError(msg("{field} must be true or false", field=name(field)))
        return value
    if ftype is FieldType.DATE:
        try:
            return as_date(value)
        except ValueError:
            raise ValueError(msg("{field} must be a date (YYYY-MM-DD)",
                                 field=name(field))) from None
    if ftype is FieldType.DATETIME:
        try:
            return as_datetime(value)
        except ValueError:
            raise ValueError(msg("{field} must be a date and time (ISO-8601)",
                                 field=name(field))) from None
    if ftype is FieldType.LIST:
        if not isinstance(value, str):
            raise ValueError(msg("{field} must be the key of an item of list {list}",
                                 field=name(field), list=field.list_name))
        if field.mandatory and not value:
            raise ValueError(msg("{field} is mandatory", field=name(field)))
        if value and list_keys is not None and value not in list_keys.get(field.list_name, ()):
            raise ValueError(msg("{field}: {value!r} is not an item of list {list}",
                                 field=name(field), value=value, list=field.list_name))
        return value or None
    raise ValueError(msg("{field} cannot be written", field=name(field)))


def check_actor_values(fields: Mapping[str, FieldInfo], actor: Actor,
                       check: Callable[[FieldInfo, Any], Any] = check_value, *, creating: bool,
                       name: Callable[[FieldInfo], str] = describe,
                       default_value: Callable[[FieldInfo], Any] = lambda f: f.default,
                       more_problems: Sequence[str] = ()) -> dict[str, Any]:
    """The values of an actor to create or save, each as `check(field, value)` returns it
    (ValueError(reason) when it does not fit); when creating, the defaults of the fields not
    given are added (`default_value(field)`: the field's default as a value). A Refusal
    ("invalid_values") names every problem — unknown and read-only fields, values and defaults
    that do not fit, mandatory fields missing on create, `more_problems` — in one message:
    "Customer was not created: ...; ...."."""
    problems: list[str] = []
    checked: dict[str, Any] = {}
    for key, value in actor.values.items():
        field = fields.get(key)
        if field is None:
            problems.append(msg("there is no field {key!r}", key=key))
            continue
        if field.read_only:
            problems.append(msg("{field} is read-only in the ERP", field=name(field)))
            continue
        try:
            checked[key] = check(field, value)
        except ValueError as exc:
            problems.append(reason_of(exc))
    if creating:
        for field in fields.values():
            if field.key in actor.values:
                continue
            if field.mandatory:
                problems.append(msg("{field} is mandatory", field=name(field)))
            elif field.default and not field.read_only:
                try:
                    checked[field.key] = check(field, default_value(field))
                except ValueError as exc:
                    problems.append(msg("default: {reason}", reason=reason_of(exc)))
    problems += more_problems
    if problems:
        if creating:
            raise Refusal(msg("{actor} was not created: {problems}.", actor=actor.actor_type,
                              problems=joined(problems)), "invalid_values")
        raise Refusal(msg("{actor} {key!r} was not saved: {problems}.", actor=actor.actor_type,
                          key=actor.erp_key, problems=joined(problems)), "invalid_values")
    return checked


# ---- search restrictions ---------------------------------------------------------------------

_Op = SearchOperator
TEXT_OPERATORS = frozenset({_Op.EQUALS, _Op.BEGINS, _Op.CONTAINS, _Op.ENDS, _Op.NOT_BEGINS,
                            _Op.NOT_CONTAINS, _Op.NOT_ENDS, _Op.IS_NOT, _Op.NOT_EQUAL,
                            _Op.BETWEEN})
PATTERN_OPERATORS = frozenset({_Op.BEGINS, _Op.CONTAINS, _Op.ENDS, _Op.NOT_BEGINS,
                               _Op.NOT_CONTAINS, _Op.NOT_ENDS})
"""Text operators that match part of a value (LIKE patterns in SQL)."""
NUMBER_OPERATORS = frozenset({_Op.EQUALS, _Op.GREATER, _Op.LESS, _Op.GREATER_EQUAL,
                              _Op.LESS_EQUAL, _Op.NOT_EQUAL, _Op.IS_NOT, _Op.BETWEEN})
BOOL_OPERATORS = frozenset({_Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT})
LIST_OPERATORS = frozenset({_Op.ONE_OF, _Op.NOT_ONE_OF, _Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT})
DATE_OPERATORS = frozenset({_Op.EQUALS, _Op.BEFORE, _Op.AFTER, _Op.BEFORE_OR_EQUAL,
                            _Op.AFTER_OR_EQUAL, _Op.BETWEEN, _Op.NOT_EQUAL, _Op.IS_NOT})
OPERATORS_BY_TYPE: Mapping[FieldType, frozenset[SearchOperator]] = {
    FieldType.TEXT: TEXT_OPERATORS, FieldType.PASSWORD: TEXT_OPERATORS,
    FieldType.LABEL: TEXT_OPERATORS, FieldType.INTEGER: NUMBER_OPERATORS,
    FieldType.DOUBLE: NUMBER_OPERATORS, FieldType.CHECKBOX: BOOL_OPERATORS,
    FieldType.LIST: LIST_OPERATORS, FieldType.DATE: DATE_OPERATORS,
    FieldType.DATETIME: DATE_OPERATORS,
}
"""The operators of an advanced search each field type supports."""


def search_value(field: FieldInfo, value: object,
                 true_texts: frozenset[str] = TRUE_TEXTS) -> Value:
    """A restriction value as a contract value of its field's type; ValueError (or Refusal)
    when it does not fit: numbers may be given as text, true/false as on/off texts, dates and
    date-times as ISO texts; text and list keys must be text without a NUL character."""
    ftype = field.type
    if ftype in (FieldType.INTEGER, FieldType.DOUBLE):
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        return int(text) if ftype is FieldType.INTEGER and text.lstrip("-").isdigit() \
            else float(text)
    if ftype is FieldType.CHECKBOX:
        return as_bool(value, field.label, true_texts)
    if ftype is FieldType.DATE:
        return as_date(value)
    if ftype is FieldType.DATETIME:
        return as_datetime(value)
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    return value


def check_restriction(field: FieldInfo, restriction: Restriction,
                      convert: Callable[[FieldInfo, Any], Any] = search_value, *,
                      name: Callable[[FieldInfo], str] = describe,
                      operators: Mapping[FieldType, Collection[SearchOperator]]
                      = OPERATORS_BY_TYPE) -> list[Any]:
    """The values of a restriction on `field`, each `convert`ed; a Refusal ("bad_operator")
    when the operator does not suit the field type, ("bad_values") when the number of values
    is wrong for the operator or a value does not fit the type."""
    op = restriction.operator
    if op not in operators.get(field.type, ()):
        raise Refusal(msg("Operator {operator!r} cannot be used on {field}, a {type} field.",
                          operator=op.value, field=name(field), type=field.type.value),
                      "bad_operator")
    raw = list(restriction.values)
    needed = 2 if op is _Op.BETWEEN else None if op in (_Op.ONE_OF, _Op.NOT_ONE_OF) else 1
    if (needed is None and not raw) or (needed is not None and len(raw) != needed):
        count = msg("at least one value") if needed is None else \
            msg("two values") if needed == 2 else msg("exactly one value")
        raise Refusal(msg("Operator {operator!r} on {field} needs {count}.", operator=op.value,
                          field=name(field), count=count), "bad_values")
    try:
        return [convert(field, v) for v in raw]
    except (ValueError, TypeError, Refusal):
        raise Refusal(msg("A value for {field} does not fit its type ({type}).",
                          field=name(field), type=field.type.value), "bad_values") from None


def restriction_fields(restrictions: Iterable[Restriction | Mapping[str, Any]],
                       fields: Mapping[str, FieldInfo], actor_type: str
                       ) -> Iterator[tuple[FieldInfo, Restriction]]:
    """Each restriction (validated when it is not a `Restriction` yet) with its field, one at
    a time; a Refusal ("unknown_field") for a field `fields` does not have."""
    for item in restrictions:
        restriction = item if isinstance(item, Restriction) else Restriction.model_validate(item)
        field = fields.get(restriction.field_key)
        if field is None:
            raise Refusal(msg("{actor} has no field {key!r} to search on.", actor=actor_type,
                              key=restriction.field_key), "unknown_field")
        yield field, restriction


def like_escape(text: str, escape: str = "\\") -> str:
    """`text` for a LIKE pattern: the escape character, % and _ escaped with `escape`."""
    return (text.replace(escape, escape * 2).replace("%", escape + "%")
            .replace("_", escape + "_"))


# ---- the base class --------------------------------------------------------------------------

class ConnectorBase:
    """Shared behaviour of connectors; subclass it and implement the data methods of
    `erp_tui.contract.Connector`.

    * **Guarded calls.** Every contract method a subclass defines is wrapped so nothing
      escapes it: a `Refusal` becomes a failure result with its message and code, an error of
      `storage_errors` one with `storage_message`, anything else "The <connector_name> failed
      unexpectedly". The values `secrets()` lists are blanked out of those messages.
    * **Connections.** `create_connection` / `delete_connection` / `test_connection` keep the
      config values per connection id (`connection_values` refuses an unknown id with code
      "unknown_connection"); `drop_connection_state` is the hook for whatever a subclass keeps
      per connection.
    * **Searches.** `search_result(page)` cuts a page to `search_limit` actors (state
      `ok_with_info` when there were more).
    * **Capability flags** say what the connector does; the conformance kit
      (`erp_tui.connectors.conformance`) checks the contract accordingly.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    labels: ClassVar[dict[str, str]] = {}
    """The label per language ("nl" -> text), when the connector has more than `label`."""
    connector_name: ClassVar[str] = N_("connector")
    """How messages name the connector, e.g. "sample connector" (marked with `N_` it is
    translated where it is shown)."""

    storage_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    """Exceptions of the ERP's storage (a database, files) that get `storage_message`."""
    storage_message: ClassVar[str] = ""
    storage_code: ClassVar[str] = "database"

    # -- capability flags --
    search_limit: ClassVar[int] = 1000
    """Most actors a simple or advanced search returns."""
    supports_advanced_search: ClassVar[bool] = True
    """False: `search_actors_advanced` refuses with error code "not_supported"."""
    supports_create: ClassVar[bool] = True
    """False: `create_actor` refuses (the ERP cannot take new actors)."""
    supports_save: ClassVar[bool] = True
    """False: `save_actors` refuses (the ERP cannot change actors)."""
    supports_delete: ClassVar[bool] = False
    """True: `save_actors` deletes actors sent with `deleted` set; False: it refuses them."""
    reads_in_worker_process: ClassVar[bool] = False
    """A second instance, bound with the same values in another process, reads the same data
    (the runner may then read ahead in a page-reader process)."""

    if TYPE_CHECKING:
        def test_config(self, values: dict[str, Any]) -> Result:
            """Is this configuration usable? (every subclass implements it)"""

    def __init__(self) -> None:
        self._connections: dict[int, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _guard_contract_methods(cls)

    # -- connections (contract methods) ---------------------------------------------------

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        """Remember the config values of a saved connection (checked on every use)."""
        self.remember_connection(connection_id, values)
        return Result(user_message=msg("Connection {id} is bound to the {connector}.",
                                       id=connection_id, connector=self.name_msg()))

    def delete_connection(self, connection_id: int) -> Result:
        """Forget a connection id."""
        if not self.forget_connection(connection_id):
            raise self.unknown_connection(connection_id)
        return Result(user_message=msg("Connection {id} was removed from the {connector}.",
                                       id=connection_id, connector=self.name_msg()))

    def test_connection(self, connection_id: int) -> Result:
        """`test_config` of the values the connection was created with."""
        return self.test_config(self.connection_values(connection_id))

    # -- connections (bookkeeping) --------------------------------------------------------

    def remember_connection(self, connection_id: int, values: Mapping[str, Any]) -> None:
        """Keep a copy of a connection's config values (state kept for an earlier binding
        of the id is dropped)."""
        with self._lock:
            self._connections[connection_id] = dict(values)
            self.drop_connection_state(connection_id)

    def forget_connection(self, connection_id: int) -> bool:
        """Drop a connection's values and state; False when the id was not known."""
        with self._lock:
            known = self._connections.pop(connection_id, None) is not None
            self.drop_connection_state(connection_id)
        return known

    def drop_connection_state(self, connection_id: int) -> None:
        """Hook: drop what a subclass keeps for a connection (caches, pools). Called under
        `self._lock` when the id is bound again or forgotten."""

    def connection_values(self, connection_id: int) -> dict[str, Any]:
        """The config values a connection was created with; a Refusal for an unknown id."""
        with self._lock:
            values = self._connections.get(connection_id)
        if values is None:
            raise self.unknown_connection(connection_id)
        return values

    def unknown_connection(self, connection_id: int) -> Refusal:
        """The refusal for a connection id `create_connection` was not called with."""
        return Refusal(msg("Connection {id} is not known to the {connector}; create the "
                           "connection first.", id=connection_id, connector=self.name_msg()),
                       "unknown_connection")

    def secrets(self) -> Sequence[str]:
        """Values to blank out of every failure message (e.g. passwords); none by default."""
        return ()

    # -- results --------------------------------------------------------------------------

    def search_result(self, page: ActorPage) -> PageResult:
        """The result of a search: `page` cut to `search_limit` actors (state `ok_with_info`
        and a hint to refine the search when it had more)."""
        limit = self.search_limit
        if len(page) <= limit:
            return PageResult(page=page)
        for column_name in ("erp_keys", "last_modified", "rows", "parent_types", "parent_keys",
                            "deleted"):
            column = getattr(page, column_name)
            if column:
                del column[limit:]
        return PageResult(page=page, state=ResultState.OK_WITH_INFO,
                          user_message=msg("Showing the first {limit} matches; refine the "
                                           "search to see the others.", limit=limit))

    def not_supported(self, what: str) -> Refusal:
        """The refusal of something this connector cannot do ("not_supported"); `what` is
        English, marked with `N_` to be shown in the user's language."""
        return Refusal(msg("The {connector} cannot {what}.", connector=self.name_msg(),
                           what=Msg(what)), "not_supported")

    @classmethod
    def name_msg(cls) -> Msg:
        """`connector_name` as a message (in the user's language when the catalogue has it)."""
        return Msg(cls.connector_name)


def _guard(method: Callable[..., R], result_cls: type[R]) -> Callable[..., R]:
    """`method` of a ConnectorBase subclass, returning a failure result instead of raising."""

    @functools.wraps(method)
    def guarded_method(self: ConnectorBase, *args: Any, **kwargs: Any) -> R:
        before = self.secrets()
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # the contract: nothing escapes
            cls = type(self)
            hidden = sorted({*before, *self.secrets()}, key=len, reverse=True)
            return failure_of(exc, result_cls, who=msg("The {connector}",
                                                       connector=cls.name_msg()),
                              storage_errors=cls.storage_errors,
                              storage_message=cls.storage_message,
                              storage_code=cls.storage_code, hidden=hidden)

    guarded_method.__contract_guarded__ = True  # type: ignore[attr-defined]
    return guarded_method


def _guard_contract_methods(cls: type) -> None:
    """Wrap the contract methods `cls` itself defines (plain functions only) in `_guard`."""
    for method_name, result_cls in RESULT_CLASSES.items():
        member = cls.__dict__.get(method_name)
        if inspect.isfunction(member) and not getattr(member, "__contract_guarded__", False):
            setattr(cls, method_name, _guard(member, result_cls))


_guard_contract_methods(ConnectorBase)
