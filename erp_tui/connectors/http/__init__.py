"""Out-of-process connectors over the erp-tui connector protocol (JSON over HTTP).

* `protocol` — endpoint names, request models, value and page encoding (version 1).
* `client` — `HttpConnector`, the connector kind `http`.
* `server` — hosts any connector behind the protocol (`erp-tui connector serve`).

See docs/connector-protocol.md.
"""

from __future__ import annotations

from erp_tui.connectors.http.protocol import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION"]
