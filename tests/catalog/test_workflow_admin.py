"""Administrators change routes without code: copy a version, edit it, activate it. A
version that cases have used stays as it was."""

import pytest
from django.contrib.auth import get_user_model

from services.catalog import actions
from services.catalog.models import Stage, StageStep, WorkflowTemplate
from services.core.errors import PortalError
from tests.casework.helpers import submit
from tests.factories import CitizenFactory, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser(username="root", password="x", kind="staff")
    client.force_login(admin)
    return client


def test_copy_keeps_stages_steps_and_conditions_and_is_inactive():
    service = make_service(stages=[["psb"], ["amr", "fire"]])
    v1 = WorkflowTemplate.objects.get(service=service)
    Stage.objects.filter(template=v1, position=2).update(condition={"field": "full_name", "op": "answered"})
    StageStep.objects.filter(stage__template=v1, department__code="fire").update(
        days=7, automatic_check="applicant_adult"
    )
    v2 = actions.workflow_copy(template=v1)
    assert (v2.version, v2.is_active) == (2, False)
    assert list(v2.stages.values_list("position", "condition")) == [
        (1, None),
        (2, {"field": "full_name", "op": "answered"}),
    ]
    fire = StageStep.objects.get(stage__template=v2, department__code="fire")
    assert (fire.days, fire.automatic_check) == (7, "applicant_adult")


def test_activating_a_version_deactivates_the_others():
    service = make_service(stages=[["psb"]])
    v1 = WorkflowTemplate.objects.get(service=service)
    v2 = actions.workflow_copy(template=v1)
    actions.workflow_activate(template=v2)
    v1.refresh_from_db()
    assert not v1.is_active and WorkflowTemplate.objects.get(pk=v2.pk).is_active


def test_an_empty_version_cannot_be_activated():
    service = make_service(stages=[["psb"]])
    empty = WorkflowTemplate.objects.create(service=service, version=9)
    with pytest.raises(PortalError):
        actions.workflow_activate(template=empty)


def test_admin_edits_an_unused_version_but_not_a_used_one(admin_client, django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    v1 = WorkflowTemplate.objects.get(service=service)
    assert admin_client.get(f"/admin/catalog/workflowtemplate/{v1.pk}/change/").status_code == 200
    submit(CitizenFactory(), service, django_capture_on_commit_callbacks)

    page = admin_client.get(f"/admin/catalog/workflowtemplate/{v1.pk}/change/")
    assert page.status_code == 200  # viewable
    assert b'name="_save"' not in page.content  # but not savable
    response = admin_client.post(
        "/admin/catalog/workflowtemplate/",
        {"action": "copy_as_new_version", "_selected_action": [v1.pk]},
    )
    assert response.status_code == 302
    v2 = WorkflowTemplate.objects.get(service=service, version=2)
    edit = admin_client.get(f"/admin/catalog/workflowtemplate/{v2.pk}/change/")
    assert b'name="_save"' in edit.content


def test_stage_condition_on_an_unknown_question_is_refused():
    from django.core.exceptions import ValidationError

    service = make_service(stages=[["psb"]])
    stage = Stage.objects.get(template__service=service)
    stage.condition = {"field": "nope", "op": "equals", "value": "x"}
    with pytest.raises(ValidationError):
        stage.full_clean()
