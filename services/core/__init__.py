"""Shared primitives every context uses: the project error type, base models, the
working-day calendar, validators for Chinese identifiers, masking, the transactional outbox
and the Celery queue names."""
