"""The security audit trail: one append-only record of every security-relevant event (who,
from where, what, which object, when, outcome), chained by hash and checkpointed outside the
database, so that a row changed, removed or a table emptied by someone with database rights
shows (`manage.py audit_verify`). The other contexts write to it with `trail.audit_record`."""
