"""Elder mode (适老化) is a cookie that the footer's form sets and clears. What it does to the
pages (20px text, nothing under 18px, 56px controls) is measured in chromium, in
tests/browser/test_elder_mode.py."""


def test_elder_mode_is_a_cookie_that_enlarges_every_page(client, db):
    plain = client.get("/services/").content.decode()
    assert '<body class="elder"' not in plain

    response = client.post("/preferences/elder-mode/", {"on": "1", "next": "/services/"})
    assert response.status_code == 302 and response.url == "/services/"
    assert '<body class="elder"' in client.get("/services/").content.decode()

    client.post("/preferences/elder-mode/", {"on": "0", "next": "/services/"})
    assert '<body class="elder"' not in client.get("/services/").content.decode()


def test_elder_mode_never_redirects_off_site(client, db):
    response = client.post("/preferences/elder-mode/", {"on": "1", "next": "https://evil.example/"})
    assert response.url == "/"
