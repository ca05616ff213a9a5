"""``python -m symbn.certify DIR``: re-check every certificate in DIR, one line each.

Exit status 0 when every certificate is confirmed, 1 when one is not (refuted, not
checkable, or malformed), 2 for a usage error.  Imports nothing of symbn's prover.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from symbn.certify.checker import check
from symbn.certify.engine import Malformed
from symbn.certify.inequality import check_inequality, is_inequality

USAGE = "usage: python -m symbn.certify DIR_OR_FILE..."


def check_file(path: Path) -> tuple[bool, str]:
    """(confirmed, the line to print) for one certificate file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = check_inequality(data) if is_inequality(data) else check(data)
    except (OSError, UnicodeDecodeError) as error:
        return False, f"FAIL  {path.name}: cannot read it ({error})"
    except json.JSONDecodeError as error:
        return False, f"FAIL  {path.name}: not JSON ({error.msg}, line {error.lineno})"
    except Malformed as error:
        return False, f"FAIL  {path.name}: malformed certificate: {error}"
    except RecursionError:
        return False, f"FAIL  {path.name}: malformed certificate: nested too deeply"
    label = _label(data) if is_inequality(data) else None
    if result.confirmed is True and label is not None and label != path.stem:
        return False, (f"FAIL  {path.name}: not confirmed: the certificate is of the claim "
                       f"{label!r}, not of the claim its file is named for ({path.stem!r})")
    label = {True: "OK   ", False: "FAIL ", None: "FAIL "}[result.confirmed]
    verdict = {True: "confirmed", False: "REFUTED", None: "not confirmed"}[result.confirmed]
    return result.confirmed is True, f"{label} {path.name}: {verdict}: {'; '.join(result.lines)}"


def main(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        print(USAGE, file=sys.stderr)
        return 2
    files: list[Path] = []
    for arg in map(Path, argv):
        if arg.is_dir():
            files += sorted(arg.glob("*.json"))
        elif arg.is_file():
            files.append(arg)
        else:
            print(f"symbn.certify: {arg}: no such file or directory", file=sys.stderr)
            return 2
    if not files:
        print(f"symbn.certify: no *.json certificates in {', '.join(argv)}", file=sys.stderr)
        return 2
    failures = 0
    try:
        for path in files:
            ok, line = check_file(path)
            failures += not ok
            print(line, flush=True)
        print(f"{len(files) - failures} of {len(files)} certificates confirmed", flush=True)
    except BrokenPipeError:  # the reader stopped reading (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 1 if failures else 0


def _label(data: dict) -> str | None:
    """The label of an inequality certificate's claim ("label: lhs op rhs"), if any."""
    claim = data.get("claim")
    if not isinstance(claim, str) or ": " not in claim:
        return None
    label = claim.partition(": ")[0]
    return label if f"{data.get('lhs')} {data.get('relation')} {data.get('rhs')}" \
        != claim else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
