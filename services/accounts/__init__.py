"""Users (one custom model for citizens and staff), departments, staff roles and sign-in.
Other apps use `selectors.staff_department_ids` and the role constants."""
