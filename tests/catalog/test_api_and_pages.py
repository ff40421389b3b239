"""The service catalogue through the API and the pages: list, guide, 404s, query counts."""

import pytest

from services.catalog.models import Material, Service
from tests.factories import SIMPLE_SCHEMA, DepartmentFactory, make_service
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

LIST_API = "/api/v1/services/"


def guide_api(code: str) -> str:
    return f"/api/v1/services/{code}/"


def guide_page(code: str) -> str:
    return f"/services/{code}/"


def _unpublished(code: str = "draft-service") -> Service:
    return Service.objects.create(
        code=code,
        name_zh="草稿服务",
        name_en="Draft service",
        lead_department=DepartmentFactory(code="draftdept"),
        promised_days=3,
        form_schema=SIMPLE_SCHEMA,
        is_published=False,
    )


def _big_service(code: str = "big-service") -> Service:
    """Five stages, two of them parallel, and several materials."""
    service = make_service(
        code=code,
        stages=[["big-a"], ["big-b", "big-c"], ["big-d"], ["big-e", "big-f", "big-g"], ["big-h"]],
    )
    for n in range(6):
        Material.objects.create(service=service, position=n + 1, name_zh=f"材料{n}", name_en=f"Material {n}")
    return service


# --- list ---------------------------------------------------------------------------------------


def test_service_list_api_lists_only_published_services(api_client):
    make_service(code="birth-registration", stages=[["health"]])
    make_service(code="business-licence", stages=[["market"]])
    _unpublished()

    response = api_client.get(LIST_API)

    assert response.status_code == 200
    assert [s["code"] for s in response.json()] == ["birth-registration", "business-licence"]


def test_service_list_api_gives_names_promised_days_and_lead_department(api_client):
    make_service(code="birth-registration", stages=[["health"], ["police"]], promised_days=7)

    (item,) = api_client.get(LIST_API).json()

    assert item["name_zh"] == "birth-registration服务"
    assert item["name_en"] == "birth-registration service"
    assert item["promised_days"] == 7
    assert item["lead_department"]["code"] == "health"


def test_service_list_api_needs_no_sign_in(api_client):
    make_service(code="birth-registration", stages=[["health"]])

    assert api_client.get(LIST_API).status_code == 200


def test_service_list_api_query_count_does_not_grow_with_the_number_of_services(api_client):
    make_service(code="one", stages=[["d1"]])
    few = count_queries(api_client, LIST_API)
    for n in range(8):
        make_service(code=f"more-{n}", stages=[[f"dm{n}"]])

    many = count_queries(api_client, LIST_API)

    assert many == few


# --- guide API ----------------------------------------------------------------------------------


def test_service_guide_api_returns_materials_promised_days_departments_stages_and_schema(api_client):
    make_service(code="birth-registration", stages=[["health"], ["police", "social"]], promised_days=9)

    response = api_client.get(guide_api("birth-registration"))

    assert response.status_code == 200
    guide = response.json()
    assert guide["code"] == "birth-registration"
    assert guide["promised_days"] == 9
    assert [m["name_zh"] for m in guide["materials"]] == ["居民身份证"]
    assert guide["materials"][0]["name_en"] == "Resident ID card"
    assert guide["materials"][0]["required"] is True
    assert [d["code"] for d in guide["departments"]] == ["health", "police", "social"]
    assert guide["form_schema"] == SIMPLE_SCHEMA
    assert guide["fee_zh"]
    assert guide["fee_en"]


def test_service_guide_api_shows_stages_in_order_with_their_parallel_steps(api_client):
    make_service(code="birth-registration", stages=[["health"], ["police", "social"]])

    stages = api_client.get(guide_api("birth-registration")).json()["stages"]

    assert [s["position"] for s in stages] == [1, 2]
    assert [s["name_en"] for s in stages] == ["Stage 1", "Stage 2"]
    assert [step["department"]["code"] for step in stages[0]["steps"]] == ["health"]
    assert [step["department"]["code"] for step in stages[1]["steps"]] == ["police", "social"]
    assert {step["role"] for s in stages for step in s["steps"]} == {"reviewer"}


def test_service_guide_api_lists_each_department_once_in_the_order_it_first_acts(api_client):
    make_service(code="twice", stages=[["police"], ["health", "police"], ["health"]])

    departments = api_client.get(guide_api("twice")).json()["departments"]

    assert [d["code"] for d in departments] == ["police", "health"]


def test_service_guide_api_of_an_unknown_code_is_a_404_with_code_and_detail(api_client):
    response = api_client.get(guide_api("no-such-service"))

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert "no-such-service" in body["detail"]


def test_service_guide_api_of_an_unpublished_service_is_a_404(api_client):
    _unpublished("draft-service")

    response = api_client.get(guide_api("draft-service"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_service_guide_api_404_message_is_english_when_asked(api_client):
    response = api_client.get(guide_api("no-such-service"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "There is no published service" in response.json()["detail"]


def test_service_guide_api_query_count_is_bounded(api_client, django_assert_max_num_queries):
    _big_service()

    with django_assert_max_num_queries(6):
        response = api_client.get(guide_api("big-service"))

    assert response.status_code == 200
    assert len(response.json()["stages"]) == 5
    assert len(response.json()["materials"]) == 7


def test_service_guide_api_query_count_does_not_grow_with_stages_and_materials(api_client):
    make_service(code="small-service", stages=[["small-a"]])
    _big_service()

    small = count_queries(api_client, guide_api("small-service"))
    big = count_queries(api_client, guide_api("big-service"))

    assert big == small


# --- pages --------------------------------------------------------------------------------------


def test_service_list_page_shows_published_services_only(client):
    make_service(code="birth-registration", stages=[["health"]])
    _unpublished("draft-service")

    response = client.get("/services/")

    assert response.status_code == 200
    assert guide_page("birth-registration") in response.text
    assert guide_page("draft-service") not in response.text


def test_home_page_is_the_service_list(client):
    make_service(code="birth-registration", stages=[["health"]])

    response = client.get("/")

    assert response.status_code == 200
    assert guide_page("birth-registration") in response.text


def test_service_guide_page_shows_materials_departments_stages_and_apply_link(client):
    make_service(code="birth-registration", stages=[["health"], ["police", "social"]])

    response = client.get(guide_page("birth-registration"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.text
    assert "Resident ID card" in html
    assert "health bureau" in html
    assert "police bureau" in html
    assert "social bureau" in html
    assert "Stage 1" in html
    assert "Stage 2" in html
    assert "/services/birth-registration/apply/" in html


def test_service_guide_page_of_an_unknown_code_is_a_404(client):
    response = client.get(guide_page("no-such-service"))

    assert response.status_code == 404


def test_service_guide_page_of_an_unpublished_service_is_a_404(client):
    _unpublished("draft-service")

    assert client.get(guide_page("draft-service")).status_code == 404


def test_service_guide_page_query_count_is_bounded(client, django_assert_max_num_queries):
    _big_service()

    with django_assert_max_num_queries(6):
        response = client.get(guide_page("big-service"))

    assert response.status_code == 200


def test_service_guide_page_query_count_does_not_grow_with_stages_and_materials(client):
    make_service(code="small-service", stages=[["small-a"]])
    _big_service()

    small = count_queries(client, guide_page("small-service"))
    big = count_queries(client, guide_page("big-service"))

    assert big == small
