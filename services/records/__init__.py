"""Once-only data and its protection. Today: the data-access log, an append-only record of
every read of a citizen's personal data by staff (who, department, case, purpose, what).
Other apps write to it through `actions.data_access_record`."""
