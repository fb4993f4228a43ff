"""The table of error and warning codes in rules/README.md and the codes in src/ stay in step."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "rules" / "README.md"
SECTION = "## Error and warning codes"
# A code is a quoted string literal such as "E410" or 'W501' (an unquoted "E2112" in prose names
# a trial, not a code).
CODE_IN_SOURCE = re.compile(r"""["']([EW]\d{3})["']""")
ROW = re.compile(r"^\|\s*([EW]\d{3})\s*\|", re.MULTILINE)


def _source_codes() -> set[str]:
    return {
        code
        for path in (ROOT / "src").rglob("*.py")
        for code in CODE_IN_SOURCE.findall(path.read_text(encoding="utf-8"))
    }


def _table() -> str:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"{README} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1]
    return section.split("\n## ", 1)[0]


def _table_codes() -> list[str]:
    return ROW.findall(_table())


def test_every_code_in_src_is_in_the_table_and_no_other() -> None:
    """The codes the README's table explains are exactly the codes the source code uses."""
    source, table = _source_codes(), set(_table_codes())
    assert source, "no codes found in src/: the pattern no longer matches how codes are written"
    assert source - table == set(), f"codes used in src/ missing from {README.name}'s table"
    assert table - source == set(), f"codes in {README.name}'s table that src/ no longer uses"


def test_table_rows_are_unique_and_in_order() -> None:
    """Each code has one row, and the rows are sorted by code so a reader can find one."""
    codes = _table_codes()
    assert len(codes) == len(set(codes)), "a code has more than one row"
    assert codes == sorted(codes), "rows are not sorted by code"


def test_every_row_has_a_meaning_and_an_example() -> None:
    """Every row fills its three columns: the code, what it means and an example."""
    for line in _table().splitlines():
        if ROW.match(line):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert len(cells) >= 3 and all(cells[:3]), line
