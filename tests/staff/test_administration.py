"""Administration: divisions and staff accounts, by administrators only."""
from booking.models import Division, User
from helpers import PASSWORD
from staff_support import text

DIVISION_FORM = {"slug": "vostochny-filial", "name": "Восточный филиал", "name_en": "Eastern branch",
                 "head_name": "Орлов Игорь Семёнович", "head_title": "Директор филиала",
                 "address": "Москва, ул. Первомайская, д. 1", "room": "каб. 7", "directions": "", "description": "",
                 "email": "", "active": "y"}


def test_admin_creates_a_division_that_citizens_then_see(client, db, make_user, log_in_as):
    log_in_as(make_user("admin"))
    response = client.post_form("/admin/divisions/new", DIVISION_FORM)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/divisions/vostochny-filial"
    division = db.session.query(Division).one()
    assert (division.name, division.head_name, division.active) == ("Восточный филиал", "Орлов Игорь Семёнович", True)
    assert "Eastern branch" in text(client.get("/"))  # the English name on English pages


def test_division_address_names_are_checked(client, db, make_division, make_user, log_in_as):
    make_division(slug="vostochny-filial")
    log_in_as(make_user("admin"))
    taken = client.post_form("/admin/divisions/new", DIVISION_FORM)
    assert "Another division has this address name." in text(taken)
    malformed = client.post_form("/admin/divisions/new", {**DIVISION_FORM, "slug": "Восток филиал"})
    assert "Lower-case Latin letters, digits and single hyphens only." in text(malformed)
    assert db.session.query(Division).count() == 1


def test_admin_edits_and_closes_a_division_for_bookings(client, db, make_division, make_user, log_in_as):
    division = make_division(slug="vostochny-filial")
    log_in_as(make_user("admin"))
    form = text(client.get("/admin/divisions/vostochny-filial/edit"))
    assert f'value="{division.name}"' in form
    response = client.post_form("/admin/divisions/vostochny-filial/edit",
                    {**DIVISION_FORM, "name": "Восточный филиал (новый)", "active": ""})
    assert response.status_code == 303
    db.session.refresh(division)
    assert division.name == "Восточный филиал (новый)" and division.active is False
    assert client.get("/divisions/vostochny-filial").status_code == 404


def test_admin_creates_a_head_who_sees_only_their_division(client, db, make_division, make_user, log_in_as):
    mine, theirs = make_division(), make_division()
    log_in_as(make_user("admin"))
    response = client.post_form("/admin/users/new", {
        "email": "Head@Priyom.example", "name": "Новый Руководитель", "role": "head", "divisions": [str(mine.id)],
        "active": "y", "password": "a new long password", "confirm": "a new long password"})
    assert response.status_code == 303
    head = db.session.query(User).filter_by(email="head@priyom.example").one()
    assert head.password_hash.startswith("$argon2id$") and "a new long password" not in head.password_hash
    assert [d.id for d in head.divisions] == [mine.id]
    client.post_form("/logout")
    assert client.log_in("head@priyom.example", "a new long password").status_code == 303
    assert client.get(f"/agenda?division={mine.slug}").status_code == 200
    assert client.get(f"/agenda?division={theirs.slug}").status_code == 403


def test_user_form_refuses_duplicates_short_passwords_and_heads_without_division(client, db, make_user, log_in_as):
    existing = make_user("operator")
    log_in_as(make_user("admin"))
    base = {"name": "", "role": "operator", "active": "y", "password": "a new long password",
            "confirm": "a new long password"}
    duplicate = client.post_form("/admin/users/new", {**base, "email": existing.email.upper()})
    assert "A user with this e-mail already exists." in text(duplicate)
    short = client.post_form("/admin/users/new", {**base, "email": "x@priyom.example", "password": "short",
                                              "confirm": "short"})
    assert "A password needs at least 10 characters." in text(short)
    mismatch = client.post_form("/admin/users/new", {**base, "email": "x@priyom.example", "confirm": "something else"})
    assert "The two passwords differ." in text(mismatch)
    headless = client.post_form("/admin/users/new", {**base, "email": "x@priyom.example", "role": "head"})
    assert "A head needs at least one division." in text(headless)
    assert db.session.query(User).count() == 2


def test_deactivating_an_account_ends_its_sessions(client, new_browser, db, make_user, log_in_as):
    operator = make_user("operator")
    colleague = new_browser()
    assert colleague.log_in(operator.email).status_code == 303
    assert colleague.get("/staff/search").status_code == 200
    log_in_as(make_user("admin"))
    response = client.post_form(f"/admin/users/{operator.id}/edit",
                    {"email": operator.email, "name": operator.name, "role": "operator", "active": ""})
    assert response.status_code == 303
    assert colleague.get("/staff/search").status_code == 302
    assert colleague.log_in(operator.email).status_code == 401


def test_admin_changes_a_role_and_divisions(client, db, make_division, make_user, log_in_as):
    division = make_division()
    operator = make_user("operator")
    log_in_as(make_user("admin"))
    page = text(client.get(f"/admin/users/{operator.id}/edit"))
    assert f'value="{operator.email}"' in page
    client.post_form(f"/admin/users/{operator.id}/edit", {"email": operator.email, "name": "Теперь Руководитель",
                                                      "role": "head", "divisions": [str(division.id)], "active": "y"})
    db.session.refresh(operator)
    assert (operator.role, operator.name, [d.id for d in operator.divisions]) == \
        ("head", "Теперь Руководитель", [division.id])


def test_an_admin_cannot_lock_themselves_out(client, db, make_user, log_in_as):
    admin = log_in_as(make_user("admin"))
    response = client.post_form(f"/admin/users/{admin.id}/edit",
                    {"email": admin.email, "name": admin.name, "role": "operator", "active": "y"})
    assert "You cannot take away your own administration rights" in text(response)
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_admin_resets_a_password_and_lifts_a_lock_out(app, client, db, make_user, log_in_as):
    app.config["LOGIN_ACCOUNT_LOCK_FAILURES"] = 5
    head = make_user("head")
    for n in range(5):
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        client.log_in(head.email, "guess")
    client.environ_base["REMOTE_ADDR"] = "198.51.100.1"  # the address throttled the longest
    db.session.refresh(head)
    assert head.locked_until is not None
    log_in_as(make_user("admin"))
    response = client.post_form(f"/admin/users/{head.id}/password",
                    {"password": "brand new password", "confirm": "brand new password"})
    assert response.status_code == 303
    client.post_form("/logout")
    assert client.log_in(head.email, PASSWORD).status_code == 401
    assert client.log_in(head.email, "brand new password").status_code == 303


def test_the_user_list_shows_roles_and_divisions(client, make_division, make_user, log_in_as):
    division = make_division(name="Северный филиал")
    make_user("head", divisions=[division], email="karpov@priyom.example")
    log_in_as(make_user("admin"))
    html = text(client.get("/admin/users"))
    row = html.split("karpov@priyom.example", 1)[1].split("</tr>", 1)[0]
    assert "Head of division" in row and "Северный филиал" in row and "active" in row
