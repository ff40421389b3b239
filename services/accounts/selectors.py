"""Reads of the accounts context, and the only place that asks what a staff member's roles
allow: other contexts ask these questions instead of reading `Membership` themselves."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from services.accounts.constants import STEP_ROLES_FOR_STAFF_ROLE, StaffRole
from services.accounts.models import Department, Membership, User
from services.core.queues import DEFAULT_QUEUE, department_queue
from services.core.validators import MOBILE_RE, normalize_mobile


def user_find_by_identifier(*, identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    mobile = normalize_mobile(identifier)
    users = get_user_model().objects
    if MOBILE_RE.match(mobile):
        return users.filter(mobile=mobile).first()
    if "@" in identifier:
        return users.filter(email__iexact=identifier).first()
    return users.filter(username=identifier).first()


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_portal_staff", False))


def department_admins(*, department_id: int) -> list[User]:
    """The administrators of a department: whom its escalations and complaints reach."""
    memberships = Membership.objects.filter(department_id=department_id, role=StaffRole.DEPARTMENT_ADMIN)
    return [m.user for m in memberships.select_related("user")]


def security_admins() -> list[User]:
    """The active security administrators: who the security alerts go to."""
    return list(
        User.objects.filter(is_active=True, memberships__role=StaffRole.SECURITY_ADMIN).distinct().order_by("pk")
    )


def staff_department_ids(*, user) -> QuerySet:
    """The departments the user holds any role in, as a subquery of ids (none for a citizen,
    nor for an auditor's or a leader's city-wide role)."""
    if not _is_staff(user):
        return Membership.objects.none().values("department_id")
    return Membership.objects.filter(user=user, department__isnull=False).values("department_id")


def staff_work_scopes(*, user) -> list[tuple[int, tuple[str, ...]]]:
    """(department id, the step roles the user works on there) for each department role."""
    if not _is_staff(user):
        return []
    scopes = []
    for department_id, role in Membership.objects.filter(user=user, department__isnull=False).values_list(
        "department_id", "role"
    ):
        step_roles = STEP_ROLES_FOR_STAFF_ROLE.get(role)
        if step_roles:
            scopes.append((department_id, step_roles))
    return scopes


def _roles_working_on(step_role: str) -> list[str]:
    return [staff for staff, step_roles in STEP_ROLES_FOR_STAFF_ROLE.items() if step_role in step_roles]


def staff_works_on(*, user, department_id: int, step_role: str) -> bool:
    """Whether the user may work on a step of this role (clerk or reviewer) in this department."""
    return (
        _is_staff(user)
        and Membership.objects.filter(
            user=user, department_id=department_id, role__in=_roles_working_on(step_role)
        ).exists()
    )


def staff_is_department_admin(*, user, department_id: int) -> bool:
    return (
        _is_staff(user)
        and Membership.objects.filter(user=user, department_id=department_id, role=StaffRole.DEPARTMENT_ADMIN).exists()
    )


def staff_administered_by(*, user) -> QuerySet[User]:
    """The staff of the departments this user administers (themselves included)."""
    if not _is_staff(user):
        return get_user_model().objects.none()
    administered = Membership.objects.filter(user=user, role=StaffRole.DEPARTMENT_ADMIN).values("department_id")
    return get_user_model().objects.filter(memberships__department_id__in=administered).distinct().order_by("username")


def department_colleagues(*, department_id: int, step_role: str) -> list[User]:
    """Staff of the department whose role works on steps of this role: whom such a step may
    be assigned to."""
    memberships = (
        Membership.objects.filter(department_id=department_id, role__in=_roles_working_on(step_role))
        .select_related("user")
        .order_by("user__username")
    )
    return list({m.user_id: m.user for m in memberships}.values())


@dataclass(frozen=True)
class StatisticsScope:
    """Whose figures a user may see: every department (a city leader), or the departments
    the user administers."""

    city_wide: bool
    department_ids: tuple[int, ...]


def staff_statistics_scope(*, user) -> StatisticsScope:
    roles = list(Membership.objects.filter(user=user).values_list("role", "department_id")) if _is_staff(user) else []
    if any(role == StaffRole.LEADER for role, _department in roles):
        return StatisticsScope(city_wide=True, department_ids=())
    administered = {dept for role, dept in roles if role == StaffRole.DEPARTMENT_ADMIN and dept}
    return StatisticsScope(city_wide=False, department_ids=tuple(sorted(administered)))


def queue_names_all() -> list[str]:
    """Every queue a complete worker pool must consume: the default one and one per department."""
    codes = Department.objects.order_by("code").values_list("code", flat=True)
    return [DEFAULT_QUEUE, *(department_queue(code) for code in codes)]
