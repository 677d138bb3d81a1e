"""Export one exchange to a file in any registry format (`addon.exporters`), written
atomically and privately (an export holds prompts). No Textual here: the export screen runs
this in a thread worker, on the exchange it loaded losslessly (`addon.store.load`)."""

from __future__ import annotations

from pathlib import Path

from addon.atomic import replace_file
from addon.exporters import Format
from addon.store.queries import short_id
from addon.wire.exchange import Exchange


def default_name(exchange_id: str, chosen: Format) -> str:
    """`exchange-<short id><suffix>`: the file name offered for an export."""
    return f"exchange-{short_id(exchange_id)}{chosen.suffix}"


def write_export(exchange: Exchange, chosen: Format, path: Path) -> Path:
    """Write the exchange in `chosen` format to `path` (mode 0600, replaced atomically, so a
    failure leaves no half file); returns the path written. Raises OSError."""
    path = path.expanduser()
    replace_file(path, chosen.chunks([exchange]))
    return path
