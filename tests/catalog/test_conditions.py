import pytest

from services.catalog.schema import condition_check, condition_holds
from tests.factories import SIMPLE_SCHEMA


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        (None, {}, True),
        ({"field": "scope", "op": "contains", "value": "餐饮"}, {"scope": "餐饮服务；食品销售"}, True),
        ({"field": "scope", "op": "contains", "value": "餐饮"}, {"scope": "日用百货"}, False),
        ({"field": "kind", "op": "equals", "value": "a"}, {"kind": "a"}, True),
        ({"field": "kind", "op": "not_equals", "value": "a"}, {}, True),
        ({"field": "kind", "op": "in", "value": ["a", "b"]}, {"kind": "b"}, True),
        ({"field": "seats", "op": "gte", "value": 50}, {"seats": 80}, True),
        ({"field": "seats", "op": "gte", "value": 50}, {"seats": 20}, False),
        ({"field": "seats", "op": "lte", "value": 50}, {"seats": "不详"}, False),
        ({"field": "note", "op": "answered"}, {"note": ""}, False),
    ],
)
def test_condition_holds(condition, answers, holds):
    assert condition_holds(condition, answers) is holds


def test_condition_check_names_each_problem():
    assert condition_check({"field": "full_name", "op": "equals", "value": "x"}, schema=SIMPLE_SCHEMA) == []
    problems = condition_check({"field": "nope", "op": "like"}, schema=SIMPLE_SCHEMA)
    assert len(problems) == 3
    assert condition_check({"field": "full_name", "op": "in", "value": "x"}, schema=SIMPLE_SCHEMA)
