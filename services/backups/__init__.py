"""Backups that are proven to restore (`manage.py backup`, `manage.py restore`): one archive,
encrypted to the operators' age keys, of the database (pg_dump's custom format, read in one
snapshot), the file store (uploads, wallet documents, e-licences) and the audit trail's
checkpoints, with a manifest of versions, row counts, every file's hash and the head of the
audit chain. A restore goes only into an empty database and an empty file store, checks every
hash before it writes anything, and then checks the result against the manifest and the audit
chain. Operations, not a context of the domain: no context imports it."""
