"""The operator's policy file as trunkd reads it: a file that is broken, empty, unreadable or gone never
replaces the rules last read from it (oslo.policy would fail the request, or fall back to the defaults)."""

from __future__ import annotations

import os

from oslo_policy.policy import parse_file_contents


def problem_with(path: str) -> str | None:
    """Why the file cannot be taken as a policy (one line), or None when it can.

    Taken: a mapping of rule names to rule strings, or a file of comments only / `{}` (no override, the
    defaults). Refused: a missing or unreadable file, an empty one (most often a write caught halfway),
    YAML that does not parse, anything but such a mapping."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return "is missing"
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
    if not text.strip():
        return "is empty"
    try:
        parsed: object = parse_file_contents(text)  # comments only: {}
    except ValueError as exc:  # oslo's wording of a YAML error
        return "does not parse: " + " ".join(str(exc).split())
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in parsed.items()):
        return "is not a mapping of rule names to rule strings"
    return None


def stamp_of(path: str) -> tuple[int, int, int] | None:
    """What tells a changed file: mtime, size and inode (None when the file is gone)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
