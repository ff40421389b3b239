"""Users (one custom model for citizens and staff), departments, staff roles and sign-in.
Other apps use `selectors.user_find_by_identifier`, `models.Membership` and the role constants."""
