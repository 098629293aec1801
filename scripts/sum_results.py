"""Add up the closing lines of several pytest runs into one line: 'N passed, N failed, N skipped'."""

from __future__ import annotations

import re
import sys
from pathlib import Path

counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if re.search(r" in [0-9.]+s", line)]
    for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", lines[-1] if lines else ""):
        counts["errors" if word.startswith("error") else word] += int(number)
failed = counts["failed"] + counts["errors"]
print(f"total: {counts['passed']} passed, {failed} failed, {counts['skipped']} skipped")
