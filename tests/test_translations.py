"""Every interface string has its Chinese translation: Chinese is the default language."""

import re
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "portal" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if "\nmsgid " in "\n" + block and not block.startswith("#~")]


def test_no_string_is_left_untranslated_or_fuzzy():
    text = PO.read_text(encoding="utf-8")
    problems = []
    for block in _entries(text)[1:]:  # the first entry is the header
        if "#, fuzzy" in block:
            problems.append(block)
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        if not strings or any(first == "" and not rest.strip() for first, rest in strings):
            problems.append(block)
    assert problems == [], "\n\n".join(problems[:5])


def _quoted(part: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', part))


def test_placeholders_survive_translation():
    text = PO.read_text(encoding="utf-8")
    checked = 0
    for block in _entries(text)[1:]:
        source, _, translation = block.partition("\nmsgstr")
        msgid = _quoted(source.split("msgid ", 1)[1])
        for placeholder in re.findall(r"%\(\w+\)(?:\.\d+)?[sdf]|\{\{ ?\w+ ?\}\}", msgid):
            assert placeholder in translation, (msgid, placeholder)
            checked += 1
    assert checked > 10
