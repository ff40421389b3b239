from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from services.core.views import citizen_required, staff_required
from services.records import selectors

PAGE = 50


@citizen_required
def my_data_use(request):
    """Who used my data (谁用了我的数据): every read by staff and departments, with the reason."""
    entries = list(selectors.data_access_for_citizen(citizen=request.user)[:200])
    return render(request, "records/my_data_use.html", {"entries": entries})


@staff_required
def audit_data_access(request):
    if not selectors.user_is_auditor(user=request.user):
        raise PermissionDenied
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
