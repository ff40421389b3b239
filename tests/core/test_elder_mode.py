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


def test_elder_mode_text_is_at_least_18px():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css").read_text()
    rule = css[css.index("body.elder {") :].split("}")[0]
    assert "font-size: 1.25rem" in rule  # 20px at the browser default of 16px
