"""Users (one custom model for citizens and staff), departments, staff roles and sign-in.
Every question about what a staff member's roles allow is answered here
(`selectors.staff_works_on`, `staff_is_department_admin`, `staff_department_ids`, ...):
other contexts never read `Membership` themselves."""
