from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from services.catalog import selectors
from services.core.cache import public_page


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search services"), required=False, max_length=100)
    event = forms.SlugField(required=False, max_length=40)
    department = forms.SlugField(required=False, max_length=40)


def service_list(request):
    """Find a service: by words, by life event, by department. Browsing is the same for every
    visitor and kept in the cache; a search for typed words is made each time (there is no
    end to what people type)."""
    if request.GET.get("q", "").strip():
        return _service_list(request)
    return _service_list_kept(request)


def _service_list(request):
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    query, event, department = filters.get("q", ""), filters.get("event", ""), filters.get("department", "")
    events = list(selectors.life_event_list())
    departments = list(selectors.department_list_with_services())
    context = {
        "form": form,
        "services": selectors.service_search(query=query, life_event=event, department=department),
        "events": events,
        "departments": departments,
        "query": query,
        "current_event": next((e for e in events if e.code == event), None),
        "current_department": next((d for d in departments if d.code == department), None),
        "searching": bool(query or event or department),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "catalog/_results.html", context)
    return render(request, "catalog/service_list.html", context)


_service_list_kept = public_page(_service_list)
