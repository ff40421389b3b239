"""An approved case of a service that issues a document gets its e-licence: the Celery task
`casework.issue_licence` runs this on the issuing department's queue; records makes the PDF,
its verification code and the wallet entry."""

from django.db import transaction

from services.casework.constants import ApplicationStatus
from services.casework.models import Application
from services.records.licences import licence_issue
from services.records.models import WalletDocument


def case_licence_issue(*, application_id: int) -> WalletDocument | None:
    """Issue the licence of an approved case, once; None when the case is not approved or
    its service issues nothing. A repeated message finds the licence already issued."""
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service__issues__issuer", "service__lead_department", "citizen")
            .filter(pk=application_id)
            .first()
        )
        if application is None or application.status != ApplicationStatus.APPROVED:
            return None
        document_type = application.service.issues
        if document_type is None:
            return None
        return licence_issue(
            application_id=application.pk,
            reference=application.reference,
            citizen=application.citizen,
            document_type=document_type,
            issuer=document_type.issuer or application.service.lead_department,
            holder_name=application.answers.get("applicant_name") or application.citizen.full_name,
        )
