import pytest
from chat import services
from tests.browser.support import wait_connected, send, expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_shots(new_page, room, alice, bob, server):
    for i in range(1, 30):
        services.post_message(room, bob if i % 2 else alice, f"Message {i} " + ("lorem ipsum dolor sit amet " * (i % 5)), f"s{i}")
    anon = new_page()
    for url, name in [("/accounts/login/", "login"), ("/accounts/signup/", "signup")]:
        anon.goto(url); anon.screenshot(path=f"/tmp/shot-{name}.png", full_page=True)
    anon.get_by_role("button", name="Sign Up").click()
    anon.screenshot(path="/tmp/shot-signup-errors.png", full_page=True)
    p = new_page(alice)
    p.goto("/"); p.screenshot(path="/tmp/shot-index.png", full_page=True)
    p.goto("/accounts/password/change/"); p.screenshot(path="/tmp/shot-password.png", full_page=True)
    p.goto(room.get_absolute_url()); wait_connected(p)
    p.locator("#log-scroller").evaluate("s => s.scrollTop = 0")
    p.wait_for_timeout(500)
    send(p, "x")
    server.stop()
    p.wait_for_timeout(500)
    send(p, "queued message")
    p.screenshot(path="/tmp/shot-room-down.png")
    server.start()
    m = new_page(alice, viewport={"width": 360, "height": 640})
    m.goto(room.get_absolute_url()); wait_connected(m)
    m.screenshot(path="/tmp/shot-mobile.png")
    m.goto("/"); m.screenshot(path="/tmp/shot-mobile-index.png", full_page=True)
