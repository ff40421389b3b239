from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.errors import PortalError
from services.core.views import citizen_required, staff_required
from services.records import licences, selectors
from services.records.actions import attribute_dispute

PAGE = 50


@citizen_required
def my_data_use(request):
    """Who used my data (谁用了我的数据): every read by staff and departments, with the reason."""
    entries = list(selectors.data_access_for_citizen(citizen=request.user)[:200])
    return render(request, "records/my_data_use.html", {"entries": entries})


@staff_required
def audit_data_access(request):
    if not request.user.is_auditor:
        raise PermissionDenied
    audit_record(Action.AUDIT_READ, request=request, object_type="data_access_log", detail=dict(request.GET.items()))
    before = request.GET.get("before", "")
    entries = list(
        selectors.data_access_all(
            department=request.GET.get("department", "")[:40],
            reference=request.GET.get("reference", "")[:20],
            before_id=int(before) if before.isascii() and before.isdigit() else None,
        )[: PAGE + 1]
    )
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    query = request.GET.copy()
    if more:
        query["before"] = entries[-1].pk
    return render(
        request,
        "records/audit_data_access.html",
        {"entries": entries, "next_query": query.urlencode() if more else "", "filters": request.GET},
    )


@citizen_required
def wallet(request):
    """My documents (证照夹): e-licences the portal issued and documents departments hold."""
    return render(
        request, "records/wallet.html", {"documents": list(selectors.wallet_for_citizen(citizen=request.user))}
    )


@citizen_required
def wallet_file(request, pk: int):
    document = selectors.wallet_for_citizen(citizen=request.user).filter(pk=pk).exclude(file="").first()
    if document is None:
        raise Http404(_("This document is not in your wallet."))
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=f"{document.number}.pdf")
    response["Content-Type"] = "application/pdf"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=40)


def verify(request):
    """Anyone (a bank, an employer) checks that an e-licence shown to them is genuine."""
    form = VerifyForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("records:verify-code", code=licences.code_normalize(form.cleaned_data["code"]) or "-")
    return render(request, "records/verify.html", {"form": form})


def verify_code(request, code: str):
    status, document = licences.licence_verify(code=code)
    facts = licences.licence_public_facts(document) if document else None
    return render(
        request,
        "records/verify.html",
        {"form": VerifyForm(initial={"code": code}), "status": status, "facts": facts, "checked": True},
        status=200 if document else 404,
    )


@citizen_required
def my_data(request):
    """My verified data: each value, the department it came from, when; report an error."""
    error = None
    if request.method == "POST":
        try:
            attribute_dispute(
                citizen=request.user,
                attribute_id=int(request.POST.get("attribute", "0") or 0),
                note=request.POST.get("note", ""),
            )
        except (PortalError, ValueError) as exc:
            error = getattr(exc, "message", str(exc))
        else:
            return redirect("records:my-data")
    attributes = sorted(selectors.attributes_current(citizen=request.user).values(), key=lambda a: a.name)
    return render(
        request, "records/my_data.html", {"attributes": attributes, "error": error}, status=400 if error else 200
    )
