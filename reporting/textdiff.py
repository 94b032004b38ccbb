"""What changed in a text, by words as a reader sees them: a number (41.67, 2,981.47, 12%) is one
token, a Latin word is one, each Chinese character is one (Chinese has no spaces to split words
on), so “离职率41.67%” against “离职率24.66%” reads 离职率<del>41.67</del><ins>24.66</ins>%, never a
digit-by-digit mix such as “241.6639”.
"""

from __future__ import annotations

import difflib
import re

# A number with its separators and decimals; a run of Latin letters; or any one other character.
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|\s+|.", re.S)
# Beyond this many tokens a pair is shown as removed and added whole (the matcher is quadratic).
MAX_TOKENS = 4000


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def runs(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) runs turning `old` into `new`; op is "equal", "delete" or "insert", and a
    replacement is its deletion then its insertion."""
    a, b = tokens(old), tokens(new)
    if len(a) + len(b) > MAX_TOKENS:
        return [(op, text) for op, text in (("delete", old), ("insert", new)) if text]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _add(out, "equal", "".join(a[i1:i2]))
            continue
        _add(out, "delete", "".join(a[i1:i2]))
        _add(out, "insert", "".join(b[j1:j2]))
    return out


def _add(out: list[tuple[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1] = (op, out[-1][1] + text)
    else:
        out.append((op, text))
