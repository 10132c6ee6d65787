"""Handlers of `erp-tui connector ...` (tools around connectors)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from erp_tui.cli.output import say
from erp_tui.errors import ConnectorError, ErpTuiError
from erp_tui.i18n import msg


def cmd_connector_usage(args: argparse.Namespace) -> int:
    """`erp-tui connector` without an action: show its actions (wrong usage)."""
    parser = getattr(args, "group_parser", None)
    if parser is not None:
        parser.print_usage(sys.stderr)
    say(msg("erp-tui connector: choose an action (see 'erp-tui connector --help')."),
        file=sys.stderr)
    return 2


def cmd_scaffold_sql(args: argparse.Namespace) -> int:
    """Write a starting SQL-connector descriptor reflected from the database at URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from erp_tui.connectors.sql.descriptor import DescriptorError
    from erp_tui.connectors.sql.scaffold import scaffold_text

    try:
        url = make_url(args.url)
    except (ArgumentError, ValueError):
        raise ErpTuiError(msg("The URL is not a valid SQLAlchemy database URL "
                              "(dialect+driver://user@host/database).")) from None
    password = os.environ.get("ERP_TUI_SQL_PASSWORD")
    if password:
        url = url.set(password=password)
    safe = url.render_as_string(hide_password=True)
    try:
        text = scaffold_text(url.render_as_string(hide_password=False), args.schema)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise ConnectorError(msg("Cannot read the database {url} ({reason}).", url=safe,
                                 reason=reason[:300])) from None
    except DescriptorError as exc:
        raise ConnectorError(exc.args[0] if len(exc.args) == 1 else str(exc)) from None
    if args.output:
        path = Path(args.output)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ErpTuiError(msg("Cannot write {path} ({reason}).", path=str(path),
                                  reason=exc.strerror)) from None
        say(msg("Descriptor written to {path}; review it before use.", path=str(path)),
            file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_connector_serve(args: argparse.Namespace) -> int:
    """Host a connector behind the connector protocol until interrupted (SIGINT/SIGTERM)."""
    import logging
    import signal

    from erp_tui.connectors.http.protocol import PREFIX, TOKEN_ENV
    from erp_tui.connectors.http.server import make_server
    from erp_tui.registry import create_connector

    token = _serve_token(args.token_file, TOKEN_ENV)
    values = _serve_config(Path(args.config))
    if not 0 <= args.port <= 65535:
        raise ErpTuiError(msg("The port must be between 0 and 65535."))
    connector = create_connector(args.connector)
    try:
        server = make_server(connector, values, token, host=args.host, port=args.port)
    except OSError as exc:
        raise ErpTuiError(msg("Cannot listen on {host}:{port} ({reason}).", host=args.host,
                              port=args.port, reason=exc.strerror)) from None
    # One line per request on stderr (the server's own output), besides the log file.
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    server_log = logging.getLogger("erp_tui.connector_server")
    server_log.addHandler(to_stderr)
    server_log.setLevel(logging.INFO)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        say(msg("erp-tui connector serve: warning: listening on {host}, not only on loopback; "
                "the protocol has no TLS of its own, put it behind a TLS proxy.", host=host),
            file=sys.stderr)
    address = f"http://{host}:{port}{PREFIX}"
    say(msg("erp-tui connector serve: {kind} listening on {url}", kind=args.connector,
            url=address), file=sys.stderr, flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    say(msg("erp-tui connector serve: stopped."), file=sys.stderr, flush=True)
    return 0


def _serve_token(token_file: str | None, env_name: str) -> str:
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ErpTuiError(msg("Cannot read the token file {path} ({reason}).",
                                  path=token_file, reason=exc.strerror)) from None
        if not token:
            raise ErpTuiError(msg("The token file {path} is empty.", path=token_file))
        return token
    token = os.environ.get(env_name, "").strip()
    if not token:
        raise ErpTuiError(msg("Give the server a token: --token-file F or env {env}.",
                              env=env_name))
    return token


def _serve_config(path: Path) -> dict[str, object]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ErpTuiError(msg("Cannot read the config file {path} ({reason}).", path=str(path),
                              reason=exc.strerror)) from None
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise ErpTuiError(msg("The config file {path} is not valid YAML or JSON ({reason}).",
                              path=str(path), reason=" ".join(str(exc).split())[:200])
                          ) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ErpTuiError(msg("The config file {path} must hold a mapping of config values.",
                              path=str(path)))
    return data
