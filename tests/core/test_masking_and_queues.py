import pytest

from services.core.masking import mask_id_number, mask_mobile, mask_name
from services.core.queues import DEFAULT_QUEUE, all_queue_names, route_task
from tests.factories import DepartmentFactory


def test_id_number_is_masked_as_on_staff_screens():
    assert mask_id_number("110105199001011234") == "110105********1234"


def test_mobile_is_masked_as_on_staff_screens():
    assert mask_mobile("13812345678") == "138****5678"


def test_name_keeps_only_the_family_name():
    assert mask_name("张三丰") == "张**"


def test_router_sends_department_work_to_the_department_queue():
    assert route_task("x", (), {"department_code": "psb"}, {}) == {"queue": "dept.psb"}
    assert route_task("x", (), {"application_id": 1}, {}) == {"queue": DEFAULT_QUEUE}


def test_an_explicit_queue_wins_over_the_router():
    assert route_task("x", (), {"department_code": "psb"}, {"queue": "dept.fire"}) == {"queue": "dept.fire"}


@pytest.mark.django_db
def test_every_department_queue_is_in_the_list_a_worker_consumes():
    DepartmentFactory(code="psb")
    DepartmentFactory(code="fire")
    assert all_queue_names() == [DEFAULT_QUEUE, "dept.fire", "dept.psb"]
