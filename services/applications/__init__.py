"""The citizen's side of a case: submission (idempotent, with a readable reference number),
status with its allowed transitions, and the append-only timeline. Casework moves a case
through `actions.application_transition` and records history with `actions.event_record`."""
