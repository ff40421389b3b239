"""Text messages in the tests: a backend that keeps what it was given to send."""

import re
import uuid

SENT: list[dict] = []


class KeptSmsBackend:
    def send(self, *, to: str, subject: str, body: str) -> str:
        SENT.append({"to": to, "body": body})
        return f"kept-{uuid.uuid4().hex}"


def texts_to(mobile: str) -> list[str]:
    return [message["body"] for message in SENT if message["to"] == mobile]


def last_code(mobile: str) -> str:
    """The code in the last text to `mobile`."""
    for body in reversed(texts_to(mobile)):
        found = re.search(r"\b(\d{6})\b", body)
        if found:
            return found.group(1)
    raise AssertionError(f"no code was sent to {mobile}: {texts_to(mobile)}")
