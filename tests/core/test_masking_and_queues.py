import pytest

from services.accounts.selectors import queue_names_all
from services.core.masking import mask_id_number, mask_mobile, mask_name
from services.core.queues import DEFAULT_QUEUE, route_task
from tests.factories import DepartmentFactory


def test_id_number_is_masked_as_on_staff_screens():
    assert mask_id_number("110105199001011234") == "110105********1234"


def test_mobile_is_masked_as_on_staff_screens():
    assert mask_mobile("13812345678") == "138****5678"


def test_name_keeps_only_the_family_name():
    assert mask_name("张三丰") == "张**"


def test_the_router_keeps_the_queue_the_publisher_named():
    assert route_task("x", (), {"step_id": 1}, {"queue": "dept.fire"}) == {"queue": "dept.fire"}


def test_a_task_published_without_a_queue_goes_to_the_default_queue():
    # Beat publishes its periodic tasks without naming a queue.
    assert route_task("casework.escalate_overdue", (), {}, {}) == {"queue": DEFAULT_QUEUE}


@pytest.mark.django_db
def test_every_department_queue_is_in_the_list_a_worker_consumes():
    DepartmentFactory(code="psb")
    DepartmentFactory(code="fire")
    assert queue_names_all() == [DEFAULT_QUEUE, "dept.fire", "dept.psb"]
