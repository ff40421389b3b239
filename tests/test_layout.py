"""The code stays easy to read: each module of the portal's contexts answers one question
a reader might ask, so none grows past a size one can keep in mind (the tooling app, which
generates load and demo data, and generated migrations aside)."""

from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "services"
LIMIT = 400


def test_no_module_of_a_context_reaches_400_lines():
    sizes = {
        path.relative_to(SERVICES.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in SERVICES.rglob("*.py")
        if "migrations" not in path.parts and path.parts[len(SERVICES.parts)] != "tooling"
    }
    assert len(sizes) > 100  # every context was looked at
    too_long = {name: lines for name, lines in sizes.items() if lines >= LIMIT}
    assert too_long == {}, "Split these by concern: " + ", ".join(f"{n} ({lines})" for n, lines in too_long.items())
