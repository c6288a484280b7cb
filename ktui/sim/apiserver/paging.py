"""Continue tokens of paged lists, encoded as the apiserver encodes them (base64 of a
small JSON object; here it names a saved snapshot and an offset into it), and the message
of the 410 for one that expired."""

from __future__ import annotations

import base64
import binascii
import json

from ktui.sim.apiserver.selectors import SelectorError
from ktui.sim.apiserver.store import Version

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You "
    "can start a new list without the continue parameter, or use the continue token in "
    "this response to retrieve the remainder of the results. Continuing with the provided "
    "token results in an inconsistent list - objects that were created, modified, or "
    "deleted between the time the first chunk was returned and now may show up in the list."
)


def encode_continue(rv: int, sid: str, offset: int, last: Version) -> str:
    token = {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{last.namespace}/{last.name}\x00",
             "sid": sid, "off": offset}
    return base64.urlsafe_b64encode(_dumps(token).encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        return str(data["sid"]), int(data["off"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise SelectorError(f"continue key is not valid: {exc}") from exc
