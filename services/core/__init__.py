"""Shared primitives every context uses: the project error type, base models, the
working-day calendar, validators for Chinese identifiers, masking and encryption, the
transactional outbox and the Celery queue names. It imports no other context."""
