"""A page on another port of the same host (same site: it shares the hub's cookies) plants a CSRF
cookie and posts a withdrawal form in the name of a signed-in citizen: the hub refuses it, with a page.

The attacker uses the best pair it can get: a CSRF cookie and the token that goes with it, as the hub
hands them to any anonymous visitor. Its own server sets the cookie (a page's script cannot replace
an HttpOnly cookie, a server on the same host can: cookies do not keep ports apart)."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from forms.catalog import load_catalog
from tests.browser.pages import new_page, sign_in
from tests.stack.flows import file_example
from tests.stack.harness import Api

REFUSED = "无法接受此表单"


def attacker_server(page_html: str, cookie: str) -> ThreadingHTTPServer:
    class Attacker(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Set-Cookie", f"qinqing_csrf={cookie}; Path=/; HttpOnly; SameSite=Lax")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_form_posted_from_another_port_does_not_withdraw_the_request(browser, stack):
    citizen = Api(stack.base_url, "lisi")
    r = file_example(citizen, load_catalog().latest("maternity-allowance"))
    assert r.status_code in (201, 202), r.text
    ref = r.json()["ref"]

    page = new_page(browser, stack.base_url)
    sign_in(page, "lisi", f"/requests/{ref}")
    assert page.locator(f'form[action="/requests/{ref}/withdrawal"]').count() == 1

    # A genuine anonymous pair (cookie, token), fetched from the hub by the attacker.
    anonymous = httpx.get(f"{stack.base_url}/signin", timeout=30)
    planted = anonymous.cookies["qinqing_csrf"]
    token = re.search(r'name="_csrf_token" value="([^"]+)"', anonymous.text).group(1)
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>Prize</title></head><body>
<form id="f" method="post" action="{stack.base_url}/requests/{ref}/withdrawal">
<input type="hidden" name="_csrf_token" value="{token}">
<input type="hidden" name="reason" value="forged">
</form>
<script>
document.cookie = "qinqing_csrf={planted}; path=/";
document.getElementById("f").submit();
</script></body></html>"""
    server = attacker_server(html, planted)
    try:
        attacker_url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert not attacker_url.startswith(stack.base_url)
        with page.expect_response(lambda resp: resp.url.endswith(f"/requests/{ref}/withdrawal")) as posted:
            page.goto(attacker_url)
        page.wait_for_load_state()
        answer = posted.value

        # The request stays as it was (the workflow would close it within moments).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            state = citizen.get(f"/api/requests/{ref}").json()["state"]
            assert state != "withdrawn", "the forged form withdrew the request"
            time.sleep(0.5)

        # The citizen sees the hub's error page in their language, not a problem document.
        assert answer.status == 403, answer.status
        assert answer.headers["content-type"].startswith("text/html")
        assert page.url.endswith(f"/requests/{ref}/withdrawal"), page.url
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert REFUSED in page.inner_text("main")
    finally:
        server.shutdown()
        page.context.close()

    # The citizen's own form, on the hub's own page, still works.
    page = new_page(browser, stack.base_url)
    sign_in(page, "lisi", f"/requests/{ref}")
    page.get_by_text("在最终决定作出之前，您可以撤回本申请。").click()
    page.get_by_role("button", name="撤回申请").click()
    page.wait_for_url(lambda url: url.endswith(f"/requests/{ref}?done=withdrawn"))
    page.context.close()
