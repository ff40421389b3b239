"""The workbench's operations as an API: the queue (filtered, paged by key), one step with
its case, claims, decisions, notes, assignment and the reveal of masked data."""

from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from services.casework import claims, decisions, notes, personal_data, selectors
from services.casework.constants import DeadlineState, Decision
from services.casework.forms import IdNumberSearchForm
from services.casework.selectors import QueueFilters
from services.casework.timeline import timeline_entries
from services.core.api import QuerySerializer, error_responses, json_object
from services.core.errors import Forbidden, InvalidInput, NotFound, PortalError


class IsStaff(BasePermission):
    message = "Only department staff can use this."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_portal_staff)


class StepOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(source="application.reference")
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    department = serializers.CharField(source="department.code")
    step_name = serializers.CharField(source="stage_step.name")
    role = serializers.CharField()
    status = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    deadline_state = serializers.CharField()


class QueueOut(serializers.Serializer):
    results = StepOut(many=True)
    next_cursor = serializers.CharField(help_text="Pass as ?cursor= for the next page; empty at the end.")


class AnswerOut(serializers.Serializer):
    name = serializers.CharField()
    # DRF's metaclass takes declared fields off the class; the stubs read this as overriding Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField(help_text="Resident ID and mobile numbers are masked.")
    masked = serializers.BooleanField()


class TimelineOut(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    note = serializers.CharField()
    actor = serializers.CharField()


class NoteOut(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class StepDetailOut(StepOut):
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    case_status = serializers.CharField(source="application.status")
    answers = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()

    def get_answers(self, step) -> list[dict]:
        rows = [
            row for _title, group in selectors.case_answers_for_staff(application=step.application) for row in group
        ]
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], AnswerOut(rows, many=True).data)

    def get_history(self, step) -> list[dict]:
        entries = timeline_entries(selectors.application_events(application=step.application), for_staff=True)
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], TimelineOut(entries, many=True).data)

    def get_notes(self, step) -> list[dict]:
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], NoteOut(selectors.case_notes(application_id=step.application_id), many=True).data)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    items = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text='For a correction: every item to fix, as text or {"field": name, "text": text}.',
    )


class NoteIn(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


class AssignIn(serializers.Serializer):
    assignee = serializers.CharField(help_text="Username of a colleague in the step's department.")


class RevealIn(serializers.Serializer):
    field = serializers.CharField()
    reason = serializers.CharField(max_length=300)


class BulkClaimIn(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)


def _step_out(request, pk: int, serializer=StepDetailOut) -> dict:
    step = selectors.step_get_for_staff(user=request.user, pk=pk)
    selectors.steps_with_deadline_state([step])
    return serializer(step).data


# A date, with the months' lengths (29 February in the years divisible by four, but 2000).
_DATE = (
    r"[1-9][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)|[1-9][0-9](?:0[48]|[2468][048]|[13579][26])-02-29"
)


class QueueQuery(QuerySerializer):
    """The queue's filters, each refused (400) when it is not what the schema says."""

    reference = serializers.RegexField(
        r"^[0-9]{8}-[0-9]{4,11}$", required=False, help_text="Exact reference number (YYYYMMDD-NNNN)"
    )
    service = serializers.SlugField(required=False, max_length=60, help_text="Service code")
    assignment = serializers.ChoiceField(choices=["mine", "unclaimed"], required=False)
    deadline = serializers.ChoiceField(choices=DeadlineState.values, required=False)
    submitted_from = serializers.DateField(required=False, help_text="YYYY-MM-DD")
    submitted_to = serializers.DateField(
        required=False, help_text="YYYY-MM-DD; before submitted_from, the queue is empty."
    )
    cursor = serializers.RegexField(
        rf"^(?:{_DATE})\.[0-9]{{1,18}}$",
        required=False,
        max_length=40,
        help_text="next_cursor of the previous page",
        error_messages={"invalid": _lazy("This page link is not valid. Start again from the first page.")},
    )

    def refusal(self) -> InvalidInput:
        """The refusal of invalid filters; a page link that is not one says so at the top."""
        errors = {name: [str(m) for m in messages] for name, messages in self.errors.items()}
        if list(self.errors) == ["cursor"] and self.errors["cursor"][0].code == "invalid":
            return InvalidInput(errors["cursor"][0], errors=errors)
        return InvalidInput(_("Check the filters."), errors=errors)


class TaskListApi(APIView):
    """Open steps the staff member may work on, most urgent first."""

    permission_classes = [IsStaff]

    @extend_schema(responses=QueueOut, parameters=[QueueQuery], operation_id="tasks_list")
    def get(self, request):
        query = QueueQuery(data=request.query_params)
        if not query.is_valid():
            raise query.refusal()
        data = query.validated_data
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            # No case was submitted in a period that ends before it starts.
            return Response({"results": [], "next_cursor": ""})
        filters = QueueFilters(
            service=data.get("service", ""),
            assignment=data.get("assignment", ""),
            deadline=data.get("deadline", ""),
            submitted_from=start,
            submitted_to=end,
            reference=data.get("reference", ""),
        )
        steps, next_cursor = selectors.step_queue(user=request.user, filters=filters, cursor=data.get("cursor", ""))
        return Response(
            {"results": StepOut(selectors.steps_with_deadline_state(steps), many=True).data, "next_cursor": next_cursor}
        )


class TaskDetailApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses=StepDetailOut, operation_id="tasks_retrieve")
    def get(self, request, pk: int):
        step = selectors.step_get_for_staff(user=request.user, pk=pk)
        personal_data.case_access_record(step=step, user=request.user)
        return Response(_step_out(request, pk))


class TaskDecisionApi(APIView):
    """Approve; reject or return with a reason; or request a correction with the items to fix.
    409 if the step was already decided or another colleague claimed it."""

    permission_classes = [IsStaff]

    @extend_schema(request=DecisionIn, responses={200: StepDetailOut, **error_responses(409)})
    def post(self, request, pk: int):
        # The department first: staff of another learn nothing, not even that the body was wrong.
        selectors.step_get_for_staff(user=request.user, pk=pk)
        payload = DecisionIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        decisions.step_decide(step_id=pk, user=request.user, **payload.validated_data)
        return Response(_step_out(request, pk))


class TaskClaimApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={200: StepDetailOut, **error_responses(409)})
    def post(self, request, pk: int):
        selectors.step_get_for_staff(user=request.user, pk=pk)
        claims.step_claim(step_id=pk, user=request.user)
        return Response(_step_out(request, pk))


class TaskBulkClaimApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="tasks_claim_many",
        request=BulkClaimIn,
        responses=inline_serializer(
            "BulkClaimOut",
            {"claimed": serializers.ListField(child=serializers.IntegerField()), "refused": serializers.DictField()},
        ),
    )
    def post(self, request):
        payload = BulkClaimIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        claimed, refused = claims.steps_claim_bulk(step_ids=payload.validated_data["ids"], user=request.user)
        return Response({"claimed": [s.pk for s in claimed], "refused": {str(k): v for k, v in refused.items()}})


class TaskNoteApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=NoteIn, responses={201: NoteOut})
    def post(self, request, pk: int):
        # The department first: staff of another learn nothing, not even that the body was wrong.
        selectors.step_get_for_staff(user=request.user, pk=pk)
        payload = NoteIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        note = notes.case_note_add(step_id=pk, user=request.user, text_=payload.validated_data["text"])
        return Response(NoteOut(note).data, status=201)


class TaskAssignApi(APIView):
    """A department administrator assigns the step to a colleague."""

    permission_classes = [IsStaff]

    @extend_schema(request=AssignIn, responses={200: StepDetailOut, **error_responses(409)})
    def post(self, request, pk: int):
        # The department first: staff of another learn nothing, not even that the body was wrong.
        selectors.step_get_for_staff(user=request.user, pk=pk)
        payload = AssignIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        step = selectors.step_get_for_staff(user=request.user, pk=pk)
        if not selectors.step_is_administered_by(step=step, user=request.user):
            raise Forbidden(_("Only the department administrator can assign steps."))
        # Only colleagues who may take such a step: nothing is said about anyone else.
        colleagues = {u.username: u for u in selectors.step_colleagues(step=step)}
        to = colleagues.get(payload.validated_data["assignee"])
        if to is None:
            raise PortalError(_("Choose a colleague of this department who works on such steps."), code="not_eligible")
        claims.step_assign(step_id=pk, by=request.user, to=to)
        return Response(_step_out(request, pk))


class TaskRevealApi(APIView):
    """Show one masked answer in full; the reason is recorded in the data-access log."""

    permission_classes = [IsStaff]

    @extend_schema(
        request=RevealIn,
        responses=inline_serializer("RevealOut", {"field": serializers.CharField(), "value": serializers.CharField()}),
    )
    def post(self, request, pk: int):
        # The department first: staff of another learn nothing, not even that the body was wrong.
        selectors.step_get_for_staff(user=request.user, pk=pk)
        payload = RevealIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        try:
            value = personal_data.case_data_reveal(step_id=pk, user=request.user, **payload.validated_data)
        except PortalError as refusal:
            if refusal.code != "unknown_field":
                raise
            # The answer the request names does not exist: not found, like a step that does not.
            raise NotFound(refusal.message, code=refusal.code) from None
        return Response({"field": payload.validated_data["field"], "value": value})


@extend_schema_field({"type": "string", "format": "resident-id-number"})
class IdNumberField(serializers.CharField):
    """Described as what it is: a resident ID number under GB 11643 (with its check character),
    which IdNumberSearchForm checks."""


class IdNumberIn(serializers.Serializer):
    id_number = IdNumberField(
        min_length=18, max_length=18, help_text="17 digits and a digit or X, the last one the GB 11643 check character."
    )


class TaskSearchApi(APIView):
    """Open steps whose case names a resident ID number. A POST, so the number is never in a
    URL; found through the blind index, and logged for the citizen."""

    permission_classes = [IsStaff]

    @extend_schema(request=IdNumberIn, responses=QueueOut, operation_id="tasks_search_by_id_number")
    def post(self, request):
        form = IdNumberSearchForm(json_object(request.data))
        if not form.is_valid():
            raise InvalidInput(
                _("Check the ID number."), errors={k: [str(m) for m in v] for k, v in form.errors.items()}
            )
        steps = personal_data.steps_find_by_id_number(user=request.user, id_number=form.cleaned_data["id_number"])
        return Response(
            {"results": StepOut(selectors.steps_with_deadline_state(steps), many=True).data, "next_cursor": ""}
        )
