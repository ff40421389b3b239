"""Sign-ins, sign-outs and role changes, into the security audit trail (the other security
events are written where they happen: signin, second_factor, tokens, actions)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from services.accounts.models import Membership
from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.middleware import current_request


@receiver(user_logged_in, dispatch_uid="audit.sign_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    audit_record(Action.SIGN_IN, request=request, actor=user, detail={"kind": user.kind})


@receiver(user_logged_out, dispatch_uid="audit.sign_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(Action.SIGN_OUT, request=request, actor=user)


@receiver(post_save, sender=Membership, dispatch_uid="audit.membership_saved")
def _membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    _membership(Action.MEMBERSHIP_ADDED, instance)


@receiver(post_delete, sender=Membership, dispatch_uid="audit.membership_deleted")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    _membership(Action.MEMBERSHIP_REMOVED, instance)


def _membership(action: str, membership: Membership) -> None:
    audit_record(
        action,
        request=current_request(),
        object_type="account",
        object_id=membership.user.username,
        detail={
            "role": membership.role,
            "department": membership.department.code if membership.department else "",
        },
    )
