"""Checking the trail (`manage.py audit_verify`): walk the chain from where it begins (the
first event, or the retention cut's checkpoint), recompute each hash, follow each link, and
hold the result against the signed checkpoints. The first problem names the first bad entry:
an event changed (its hash no longer matches it), events removed (a gap in the indexes, a link
that points at nothing), the chain rewritten from some point (it disagrees with a checkpoint),
or the end cut off or the table emptied (a checkpoint beyond the last event)."""

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from services.audit.checkpoints import PRUNE, Checkpoint, checkpoints
from services.audit.models import AuditEvent
from services.audit.trail import GENESIS, event_hash


@dataclass
class Report:
    checked: int = 0
    first_index: int | None = None
    last_index: int | None = None
    problems: list[str] = field(default_factory=list)
    unsealed: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


def audit_verify(*, checkpoint_dir: Path | None = None) -> Report:
    """Check the chain against the checkpoints in AUDIT_CHECKPOINT_DIR, or in `checkpoint_dir`
    (a restore checks the restored trail against the checkpoints its backup carries)."""
    report = Report()
    marks = checkpoints(checkpoint_dir)
    for mark in marks:
        if not mark.valid:
            report.problems.append(
                _("Checkpoint %(file)s does not carry a valid signature: it was not written by the portal.")
                % {"file": mark.path.name}
            )
    signed = {mark.index: mark for mark in marks if mark.valid}
    events = AuditEvent.objects.exclude(chain_index=None).order_by("chain_index")
    expected_index, expected_prev = None, GENESIS
    for event in events.iterator(chunk_size=2000):
        index = event.chain_index
        assert index is not None
        if expected_index is None:
            report.first_index = index
            start = _start(index, signed, report)
            if start is None:
                break
            expected_index, expected_prev = start
        if index != expected_index:
            report.problems.append(
                _("Entries #%(first)s to #%(last)s are missing: entry #%(next)s does not follow #%(before)s.")
                % {"first": expected_index, "last": index - 1, "next": index, "before": expected_index - 1}
            )
            break
        if event_hash(event) != event.hash:
            report.problems.append(
                _("Entry #%(index)s (%(when)s, %(action)s) was changed: its content no longer matches its hash.")
                % {"index": index, "when": f"{event.at:%Y-%m-%d %H:%M:%S}", "action": event.action}
            )
            break
        if event.prev_hash != expected_prev:
            report.problems.append(
                _("Entry #%(index)s does not follow entry #%(before)s: the chain is broken there.")
                % {"index": index, "before": index - 1}
            )
            break
        checkpoint = signed.get(index)
        if checkpoint is not None and checkpoint.hash != event.hash:
            report.problems.append(
                _(
                    "Entry #%(index)s differs from the checkpoint of %(when)s: the trail was rewritten "
                    "between the checkpoint before it and this entry."
                )
                % {"index": index, "when": checkpoint.at}
            )
            break
        report.checked += 1
        report.last_index = index
        expected_index, expected_prev = index + 1, event.hash
    if not report.problems:
        _check_end(report, [m for m in marks if m.valid])
    report.unsealed = AuditEvent.objects.filter(chain_index=None).count()
    return report


def _start(first: int, signed: dict[int, Checkpoint], report: Report) -> tuple[int, str] | None:
    """Where the chain may begin: at #1, or right after a retention cut's checkpoint."""
    if first == 1:
        return 1, GENESIS
    cut = signed.get(first - 1)
    if cut is not None and cut.kind == PRUNE:
        return first, cut.hash
    report.problems.append(
        _("Entries #1 to #%(last)s are missing, and no retention checkpoint says they were pruned.")
        % {"last": first - 1}
    )
    return None


def _check_end(report: Report, marks: list[Checkpoint]) -> None:
    """A checkpoint beyond the last event: the end was cut off, or the table emptied (unless
    the retention cut took everything there was)."""
    latest = max(marks, key=lambda m: m.index, default=None)
    if latest is None:
        return
    if report.last_index is None:
        if latest.kind != PRUNE:
            report.problems.append(
                _("The trail is empty, but the checkpoint of %(when)s holds entry #%(index)s: the table was emptied.")
                % {"when": latest.at, "index": latest.index}
            )
    elif latest.index > report.last_index:
        report.problems.append(
            _(
                "The trail ends at entry #%(last)s, but the checkpoint of %(when)s holds entry #%(index)s: "
                "entries #%(first_missing)s to #%(index)s were removed."
            )
            % {
                "last": report.last_index,
                "when": latest.at,
                "index": latest.index,
                "first_missing": report.last_index + 1,
            }
        )
