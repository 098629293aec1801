"""Host names taken out of free text (status reasons) for callers who may not read `binding:host_id`."""

from __future__ import annotations

import re
from collections.abc import Collection

HIDDEN = "(hidden)"
# a host name as reasons write it: letters, digits, '_', '.', '-' (an FQDN is one token)
_TOKEN = re.compile(r"[\w.-]+")
# "host X" / "hosts X" as trunkd and its agent phrase it: X is hidden even when it is no known host
_HOST_PHRASE = re.compile(r"(\bhosts?\s+)(?!\(hidden\))([^\s;,:]+)", re.IGNORECASE)


def redact_hosts(text: str, hosts: Collection[str]) -> str:
    """`text` with every known host name (whole token, or the first label of an FQDN token) and every
    word after "host" replaced by HIDDEN. Linear in the text's length whatever the number of hosts."""
    if not text:
        return text
    names = frozenset(h for h in hosts if h)
    for odd in sorted((h for h in names if not _TOKEN.fullmatch(h)), key=len, reverse=True):
        text = text.replace(odd, HIDDEN)  # a host id with spaces or other signs: a plain substring

    def token(match: re.Match[str]) -> str:
        word = match.group(0)
        core = word.rstrip(".")  # a full stop ending a sentence is no part of the name
        if core in names or core.split(".", 1)[0] in names:
            return HIDDEN + word[len(core):]
        return word

    return _HOST_PHRASE.sub(lambda m: m.group(1) + HIDDEN, _TOKEN.sub(token, text))
