import pytest

from haven.lib.testing.leaks import shows


@pytest.mark.parametrize(
    "text",
    [
        '"birth_date":"1984"',
        "born 1984-03",
        "c. 1984",
        "(1984)",
        "<td>1984</td>",
        '"full_name":"Choi Ye-rin"',
        "최예린님",
        "이름: 최예린",
    ],
)
def test_a_secret_standing_on_its_own_shows(text: str) -> None:
    secret = "최예린" if "최예린" in text else "Choi Ye-rin" if "Choi" in text else "1984"
    assert shows(secret, text)


@pytest.mark.parametrize(
    "text",
    [
        '"updated_at":"2026-11-28T17:27:06.619845Z"',  # the CI failure of stop 21
        '"new_hmac":"9f3a1984be"',
        'name="csrfmiddlewaretoken" value="aZ1984Qx"',
        "record 219845",
    ],
)
def test_a_secret_inside_a_longer_run_of_letters_or_digits_does_not_show(text: str) -> None:
    assert not shows("1984", text)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        shows("", "anything")
