"""Security monitoring: rules evaluated every minute over the audit trail (services.audit),
each with its threshold in settings; what crosses one opens an alert, one per incident, that
goes to the security administrators (notification, email, text message) with its evidence,
and waits on the security page to be acknowledged with a note."""
