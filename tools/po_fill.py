#!/usr/bin/env python3
"""Fill empty msgstr entries of a .po file from a JSON {msgid: translation} file (plural: a list), then compile.

python3 tools/po_fill.py haven/locale/ko/LC_MESSAGES/django.po translations.json
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unquote(lines: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', lines)
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), "".join(parts))


def fill(po: Path, translations: dict[str, object]) -> int:
    blocks = po.read_text(encoding="utf-8").split("\n\n")
    filled = 0
    out = []
    for block in blocks:
        m = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if m and _unquote(m.group(1)) in translations and m.group(1) != '""\n':
            value = translations[_unquote(m.group(1))]
            block = block.replace("#, fuzzy\n", "")
            if isinstance(value, list):
                for i, text in enumerate(value):
                    block = re.sub(
                        rf'^msgstr\[{i}\] (?:".*"\n?)+',
                        f"msgstr[{i}] {_quote(text)}\n",
                        block + "\n",
                        flags=re.M,
                    ).rstrip("\n")
            else:
                block = re.sub(
                    r'^msgstr (?:".*"\n?)+', f"msgstr {_quote(value)}\n", block + "\n", flags=re.M
                ).rstrip("\n")
            filled += 1
        out.append(block)
    text = "\n\n".join(out)
    text = text.replace("charset=CHARSET", "charset=UTF-8")
    po.write_text(text, encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    return filled


if __name__ == "__main__":
    print(fill(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))), "filled")
