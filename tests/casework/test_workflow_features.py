"""Conditional stages, automatic checks, returns, claims, assignment, notes, corrections
and the reveal of masked data."""

import pytest

from services.accounts.constants import StaffRole
from services.accounts.models import Department
from services.casework import checks, claims, decisions, notes, personal_data, selectors
from services.casework import citizen as case_citizen
from services.casework.constants import ApplicationStatus, EventKind
from services.casework.models import CaseEvent, CaseNote, Step
from services.casework.selectors import application_events
from services.casework.timeline import timeline_entries
from services.catalog.models import Stage, StageStep, WorkflowTemplate
from services.core.errors import Conflict, Forbidden, InvalidInput, PortalError
from services.records.models import DataAccess
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import VALID_ANSWERS, CitizenFactory, StaffFactory, make_service

pytestmark = pytest.mark.django_db

SCOPE_SCHEMA = {
    "groups": [
        {
            "key": "business",
            "title": {"zh": "经营信息", "en": "Business"},
            "fields": [
                {"name": "full_name", "type": "text", "label": {"zh": "姓名", "en": "Name"}, "required": True},
                {"name": "id_number", "type": "id_number", "label": {"zh": "身份证号", "en": "ID"}, "required": True},
                {"name": "mobile", "type": "mobile", "label": {"zh": "手机", "en": "Mobile"}, "required": True},
                {"name": "scope", "type": "text", "label": {"zh": "经营范围", "en": "Scope"}},
                {"name": "household_size", "type": "integer", "label": {"zh": "人口", "en": "Size"}},
                {"name": "monthly_income", "type": "integer", "label": {"zh": "收入", "en": "Income"}},
            ],
        }
    ]
}


def _submit_with(service, capture, **answers):
    from services.casework import submission

    with capture(execute=True):
        application, _ = submission.application_submit(
            citizen=CitizenFactory(), service_code=service.code, answers={**VALID_ANSWERS, **answers}
        )
    application.refresh_from_db()
    return application


@pytest.fixture
def food_service():
    """Business licence; a food-safety review only when the scope includes catering; then fire."""
    service = make_service(code="shop", stages=[["amr"], ["health"], ["fire"]], schema=SCOPE_SCHEMA)
    Stage.objects.filter(template__service=service, position=2).update(
        condition={"field": "scope", "op": "contains", "value": "餐饮"}
    )
    return service


def test_conditional_stage_is_taken_when_the_answers_match(food_service, django_capture_on_commit_callbacks):
    application = _submit_with(food_service, django_capture_on_commit_callbacks, scope="餐饮服务")
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    assert [s.department.code for s in open_steps(application)] == ["health"]


def test_conditional_stage_is_skipped_when_the_answers_do_not_match(food_service, django_capture_on_commit_callbacks):
    application = _submit_with(food_service, django_capture_on_commit_callbacks, scope="日用百货零售")
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    assert [s.department.code for s in open_steps(application)] == ["fire"]
    assert CaseEvent.objects.filter(application=application, kind=EventKind.STAGE_SKIPPED).count() == 1
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert not Step.objects.filter(application=application, department__code="health").exists()


@pytest.mark.parametrize(
    ("id_number", "outcome", "status"),
    [
        ("11010519491231002X", "approved", ApplicationStatus.APPROVED),  # born 1949
        ("110105201501010013", "rejected", ApplicationStatus.REJECTED),  # born 2015
    ],
)
def test_automatic_age_check_decides_by_itself(id_number, outcome, status, django_capture_on_commit_callbacks):
    from services.core.validators import id_number_check_digit

    id_number = id_number[:17] + id_number_check_digit(id_number[:17])
    service = make_service(stages=[["psb"]], schema=SCOPE_SCHEMA)
    StageStep.objects.filter(stage__template__service=service).update(automatic_check="applicant_adult")
    application = _submit_with(service, django_capture_on_commit_callbacks, id_number=id_number)
    step = Step.objects.get(application=application)
    assert step.status == outcome
    assert step.decided_by is None
    application.refresh_from_db()
    assert application.status == status
    assert CaseEvent.objects.filter(application=application, kind=EventKind.CHECK_DONE).exists()


def test_automatic_check_hands_over_to_a_person_with_its_reason(django_capture_on_commit_callbacks):
    service = make_service(stages=[["housing"]], schema=SCOPE_SCHEMA)
    StageStep.objects.filter(stage__template__service=service).update(automatic_check="housing_income_limit")
    application = _submit_with(service, django_capture_on_commit_callbacks, household_size="2", monthly_income="20000")
    (step,) = open_steps(application)
    assert step.automatic_check == ""
    check = CaseEvent.objects.get(application=application, kind=EventKind.CHECK_DONE)
    assert "10000" in check.note
    reviewer = reviewer_of("housing")
    assert [s.pk for s in selectors.step_list_open_for_staff(user=reviewer)] == [step.pk]


def test_a_pending_automatic_step_is_not_in_the_human_queue(django_capture_on_commit_callbacks, monkeypatch):
    from services.core import outbox

    service = make_service(stages=[["psb"]])
    StageStep.objects.update(automatic_check="applicant_adult")
    send = outbox._send
    # Routing runs; the check waits on its queue.
    monkeypatch.setattr(outbox, "_send", lambda app, m: None if m.task_name == "casework.run_check" else send(app, m))
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    reviewer = reviewer_of("psb")
    (step,) = Step.objects.filter(application=application)
    assert list(selectors.step_list_open_for_staff(user=reviewer)) == []
    with pytest.raises(PortalError):
        decisions.step_decide(step_id=step.pk, user=reviewer, decision="approve")


def test_return_to_the_previous_stage_opens_it_again(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"], ["mca", "fire"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    first = open_steps(application)[0]
    decide(first, "approve", django_capture_on_commit_callbacks)
    mca = next(s for s in open_steps(application) if s.department.code == "mca")
    with pytest.raises(PortalError):
        decide(mca, "return", django_capture_on_commit_callbacks, reason="")
    decide(mca, "return", django_capture_on_commit_callbacks, reason="户籍核查结论缺失")

    application.refresh_from_db()
    assert application.round == 2 and application.current_stage == 1
    reopened = open_steps(application)
    assert [(s.department.code, s.round) for s in reopened] == [("psb", 2)]
    statuses = dict(Step.objects.filter(application=application, round=1).values_list("department__code", "status"))
    assert statuses == {"psb": "approved", "mca": "returned", "fire": "cancelled"}

    decide(reopened[0], "approve", django_capture_on_commit_callbacks)
    assert sorted(s.department.code for s in open_steps(application)) == ["fire", "mca"]


def test_the_first_stage_cannot_be_returned(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    with pytest.raises(PortalError) as error:
        decide(open_steps(application)[0], "return", django_capture_on_commit_callbacks, reason="x")
    assert error.value.code == "no_previous_stage"


def test_a_claimed_step_belongs_to_its_claimer(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    first, second = reviewer_of("psb"), reviewer_of("psb")
    claims.step_claim(step_id=step.pk, user=first)
    claims.step_claim(step_id=step.pk, user=first)  # again: nothing changes
    with pytest.raises(Conflict) as error:
        claims.step_claim(step_id=step.pk, user=second)
    assert error.value.code == "claimed_by_other"
    with pytest.raises(Conflict):
        decide(step, "approve", django_capture_on_commit_callbacks, user=second)
    decide(step, "approve", django_capture_on_commit_callbacks, user=first)
    assert CaseEvent.objects.filter(application=application, kind=EventKind.STEP_CLAIMED).count() == 1


def test_bulk_claim_takes_what_is_free_and_says_what_is_not(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    steps = [open_steps(submit(CitizenFactory(), service, django_capture_on_commit_callbacks))[0] for _ in range(3)]
    first, second = reviewer_of("psb"), reviewer_of("psb")
    claims.step_claim(step_id=steps[0].pk, user=second)
    claimed, refused = claims.steps_claim_bulk(step_ids=[s.pk for s in steps] + [999999], user=first)
    assert [s.pk for s in claimed] == [steps[1].pk, steps[2].pk]
    assert set(refused) == {steps[0].pk, 999999}


def test_only_the_department_admin_assigns_and_only_to_eligible_colleagues(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    make_service(code="other", stages=[["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    psb = Department.objects.get(code="psb")
    admin = StaffFactory(membership__department=psb, membership__role=StaffRole.DEPARTMENT_ADMIN)
    reviewer, colleague = reviewer_of("psb"), reviewer_of("psb")
    clerk = StaffFactory(membership__department=psb, membership__role=StaffRole.CLERK)
    with pytest.raises(Forbidden):
        claims.step_assign(step_id=step.pk, by=reviewer, to=colleague)
    with pytest.raises(PortalError):
        claims.step_assign(step_id=step.pk, by=admin, to=clerk)  # clerks do not review
    with pytest.raises(PortalError):
        claims.step_assign(step_id=step.pk, by=admin, to=reviewer_of("mca"))
    claims.step_claim(step_id=step.pk, user=reviewer)
    claims.step_assign(step_id=step.pk, by=admin, to=colleague)  # reassign
    step.refresh_from_db()
    assert step.assignee == colleague
    assert colleague.notifications.filter(kind="step_assigned").exists()


def test_notes_and_claims_stay_off_the_citizen_timeline(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    reviewer = reviewer_of("psb")
    claims.step_claim(step_id=step.pk, user=reviewer)
    notes.case_note_add(step_id=step.pk, user=reviewer, text_="申请人来电，说明材料下周补齐")
    with pytest.raises(PortalError):
        notes.case_note_add(step_id=step.pk, user=reviewer, text_="  ")
    assert CaseNote.objects.get().text.startswith("申请人来电")
    citizen_kinds = [e["kind"] for e in timeline_entries(application_events(application=application))]
    staff_kinds = [e["kind"] for e in timeline_entries(application_events(application=application), for_staff=True)]
    assert "note_added" not in citizen_kinds and "step_claimed" not in citizen_kinds
    assert "note_added" in staff_kinds and "step_claimed" in staff_kinds


def test_correction_lets_the_citizen_change_only_the_named_questions(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    reviewer = reviewer_of("psb")
    decide(
        step,
        "correction",
        django_capture_on_commit_callbacks,
        user=reviewer,
        items=[{"field": "mobile", "text": "手机号码无法接通"}, "请补充户口簿首页"],
    )
    with pytest.raises(InvalidInput) as error:
        case_citizen.case_correction_submit(
            application_id=application.pk, citizen=citizen, answers={"full_name": "别的名字", "mobile": "13900001111"}
        )
    assert set(error.value.errors) == {"full_name"}
    other = CitizenFactory()
    with pytest.raises(PortalError):
        case_citizen.case_correction_submit(application_id=application.pk, citizen=other, answers={})
    case_citizen.case_correction_submit(
        application_id=application.pk, citizen=citizen, answers={"mobile": "13900001111"}
    )
    application.refresh_from_db()
    assert application.answers["mobile"] == "13900001111"
    assert application.answers["full_name"] == VALID_ANSWERS["full_name"]
    assert application.status == ApplicationStatus.IN_REVIEW
    decide(step, "approve", django_capture_on_commit_callbacks, user=reviewer)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_a_correction_needs_items(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    with pytest.raises(PortalError) as error:
        decide(open_steps(application)[0], "correction", django_capture_on_commit_callbacks, items=["  "])
    assert error.value.code == "items_required"


def test_revealing_a_masked_value_needs_a_reason_and_is_logged(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    reviewer = reviewer_of("psb")
    with pytest.raises(PortalError):
        personal_data.case_data_reveal(step_id=step.pk, user=reviewer, field="id_number", reason=" ")
    with pytest.raises(PortalError):
        personal_data.case_data_reveal(step_id=step.pk, user=reviewer, field="full_name", reason="核对")
    value = personal_data.case_data_reveal(step_id=step.pk, user=reviewer, field="id_number", reason="与户籍系统核对")
    assert value == VALID_ANSWERS["id_number"]
    (entry,) = DataAccess.objects.all()
    assert (entry.actor, entry.citizen, entry.case_reference, entry.purpose) == (
        reviewer,
        citizen,
        application.reference,
        "与户籍系统核对",
    )
    with pytest.raises(PortalError):
        personal_data.case_data_reveal(step_id=step.pk, user=StaffFactory(), field="id_number", reason="x")


def test_a_new_workflow_version_does_not_change_running_cases(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"], ["mca"]])
    running = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    old = WorkflowTemplate.objects.get(service=service)
    new = WorkflowTemplate.objects.create(service=service, version=2, is_active=False)
    stage = Stage.objects.create(template=new, position=1, name_zh="一", name_en="One")
    StageStep.objects.create(stage=stage, department=Department.objects.get(code="mca"), name_zh="审", name_en="R")
    old.is_active = False
    old.save()
    new.is_active = True
    new.save()

    decide(open_steps(running)[0], "approve", django_capture_on_commit_callbacks)
    assert [s.department.code for s in open_steps(running)] == ["mca"]  # the old v1 route goes on
    fresh = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    assert fresh.workflow == new
    assert [s.department.code for s in open_steps(fresh)] == ["mca"]


def test_an_automatic_check_that_arrives_during_a_correction_runs_after_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    from services.core import outbox

    service = make_service(stages=[["psb", "fire"]])
    StageStep.objects.filter(department__code="psb").update(automatic_check="applicant_adult")
    citizen = CitizenFactory()
    send = outbox._send
    held = []
    monkeypatch.setattr(
        outbox, "_send", lambda app, m: held.append(m) if m.task_name == "casework.run_check" else send(app, m)
    )
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    fire = Step.objects.get(application=application, department__code="fire")
    reviewer = reviewer_of("fire")
    decide(fire, "correction", django_capture_on_commit_callbacks, user=reviewer, items=["请补充材料"])
    # The held check arrives while the case waits for the citizen: it does nothing.
    check = Step.objects.get(application=application, department__code="psb")
    assert checks.step_check_run(step_id=check.pk) == "waiting"
    monkeypatch.setattr(outbox, "_send", send)
    with django_capture_on_commit_callbacks(execute=True):
        case_citizen.case_correction_submit(application_id=application.pk, citizen=citizen, answers={})
    check.refresh_from_db()
    assert check.status == "approved"  # run again once the case went on
    decide(fire, "approve", django_capture_on_commit_callbacks, user=reviewer)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
