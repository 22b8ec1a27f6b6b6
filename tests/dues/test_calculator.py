"""The dues calculator against the official table (中组发〔2008〕3号) at every bracket boundary."""

import pytest

URL = "/api/v1/dues/calculate"


@pytest.mark.parametrize(
    "income,category,amount,rate",
    [
        ("0", "in_service", "0.00", "0.005"),
        ("3000.00", "in_service", "15.00", "0.005"),
        ("3000.01", "in_service", "30.00", "0.01"),
        ("3200", "in_service", "32.00", "0.01"),  # published example
        ("5000.00", "in_service", "50.00", "0.01"),
        ("5000.01", "in_service", "75.00", "0.015"),
        ("10000.00", "in_service", "150.00", "0.015"),  # published example
        ("10000.01", "in_service", "200.00", "0.02"),
        ("11500", "in_service", "230.00", "0.02"),  # published example
        ("4500", "in_service", "45.00", "0.01"),
        ("3000.00", "self_employed", "15.00", "0.005"),
        ("3000.01", "self_employed", "30.00", "0.01"),
        ("10000.01", "self_employed", "200.00", "0.02"),
        ("5000.00", "retired", "25.00", "0.005"),
        ("5000.01", "retired", "50.00", "0.01"),
        ("2999.99", "in_service", "15.00", "0.005"),  # 14.99995 rounds half up
        ("1234.50", "in_service", "6.17", "0.005"),  # 6.1725 → 6.17
        ("1235.00", "in_service", "6.18", "0.005"),  # 6.175 → 6.18 (ROUND_HALF_UP, not banker's)
    ],
)
def test_bracket_boundaries(client, db, income, category, amount, rate):
    response = client.get(URL, {"income": income, "category": category})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["monthly_amount"] == amount
    assert body["rate"] == rate
    assert body["category"] == category


@pytest.mark.parametrize("category", ["farmer", "student", "unemployed", "relief"])
def test_fixed_categories_pay_twenty_fen(client, db, category):
    body = client.get(URL, {"category": category}).json()
    assert body["monthly_amount"] == "0.20"
    assert body["rate"] is None
    # An income given for a fixed category changes nothing.
    assert client.get(URL, {"category": category, "income": "9000"}).json()["monthly_amount"] == "0.20"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"income": "-1", "category": "in_service"}, "income"),
        ({"income": "abc", "category": "in_service"}, "income"),
        ({"income": "NaN", "category": "in_service"}, "income"),
        ({"income": "Infinity", "category": "in_service"}, "income"),
        ({"income": "1e12", "category": "in_service"}, "income"),
        ({"income": "100.001", "category": "in_service"}, "income"),
        ({"income": "3000", "category": "pirate"}, "category"),
        ({"category": "in_service"}, "income"),
    ],
)
def test_bad_input_names_the_field(client, db, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]


def test_calculator_page_for_members(client, cast):
    from ..conftest import login

    login(client, cast.member_a_user)
    response = client.get("/dues/calculator/", {"category": "in_service", "income": "3000.01"})
    assert response.status_code == 200
    assert "30.00" in response.content.decode()
    bad = client.get("/dues/calculator/", {"category": "in_service", "income": "-5"})
    assert bad.status_code == 400
