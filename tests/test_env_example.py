import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def test_every_environment_variable_the_portal_reads_is_in_env_example():
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    read = set()
    for path in [BASE_DIR / "portal" / "settings.py", BASE_DIR / "portal" / "embedded.py"]:
        source = path.read_text()
        read |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"", source))
        read |= set(re.findall(r"os\.environ\.get\(\"([A-Z_]+)\"", source))
    read -= {"DJANGO_SETTINGS_MODULE"}
    assert read, "no variables found: the pattern is out of date"
    assert read - documented == set()
