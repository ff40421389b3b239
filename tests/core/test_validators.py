import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from services.core.validators import id_number_check_digit, validate_id_number, validate_mobile


@pytest.mark.parametrize("number", ["11010519491231002X", "440305199003071236"])
def test_id_number_with_right_check_digit_is_accepted(number):
    validate_id_number(number)


def test_id_number_lowercase_x_is_accepted():
    validate_id_number("11010519491231002x")


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "1101051949123100XX",  # X not last
        "110105194902300024",  # 30 February
        "",
    ],
)
def test_id_number_that_is_wrong_is_refused(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


def test_check_digit_follows_gb_11643():
    # The worked example of GB 11643-1999.
    assert id_number_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("mobile", ["13812345678", "+86 138 1234 5678", "199-1234-5678"])
def test_mainland_mobile_numbers_are_accepted(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize("mobile", ["12345", "12812345678", "1381234567", "138123456789", "abc"])
def test_malformed_mobile_numbers_are_refused(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)


def test_validation_messages_follow_the_active_language():
    messages = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(ValidationError) as error:
                validate_mobile("12345")
            messages[language] = str(error.value.messages[0])
    assert "11 digits" in messages["en"]
    assert "手机号码" in messages["zh-hans"]
