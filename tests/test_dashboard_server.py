"""The dashboard as it is served: the real server `rcc app` starts (headers, the address it listens on, its
options), and the plain messages that stand in for tracebacks."""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard.auth import User
from app.dashboard.server import HEADERS
from app.dashboard.ui import PAGE_FAILED
from tests.test_browser import serve

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
COMMISSIONER = User("commissioner", "commissioner", display_name="Commissioner")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    yield from serve(os.environ | {"RCC_OUT": str(out), "RCC_STORE": str(out / "runs.duckdb")})


def test_every_response_forbids_framing(server):
    """The page and Streamlit's own endpoints, fetched over HTTP from the running server, carry CSP
    frame-ancestors 'none' and X-Frame-Options DENY."""
    for path in ("/", "/_stcore/health"):
        with urllib.request.urlopen(server + path, timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
            assert response.headers["X-Frame-Options"] == "DENY"
    assert set(HEADERS) == {"content-security-policy", "x-frame-options"}


def _listening(port: int) -> list[str]:
    """The local addresses of the sockets listening on this port, read from the kernel's tables."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(socket.inet_ntop(socket.AF_INET if len(address) == 8 else socket.AF_INET6,
                                              bytes.fromhex(address)[::-1] if len(address) == 8
                                              else b"".join(bytes.fromhex(address[i:i + 8])[::-1]
                                                            for i in range(0, 32, 8))))
    return found


def test_the_server_listens_on_the_loopback_address_only(server):
    """By default the one listening socket is 127.0.0.1's, not every interface's (0.0.0.0 or ::)."""
    assert _listening(int(server.rsplit(":", 1)[1])) == ["127.0.0.1"]


def test_rcc_app_starts_streamlit_on_127_0_0_1_unless_told(tmp_path, monkeypatch):
    """`rcc app` passes server.address 127.0.0.1 by default and --address when given, with the 50 MB upload limit
    and no error details for the browser."""
    from app.cli import main

    started = []
    monkeypatch.setattr("subprocess.call", lambda command, env: started.append(command) or 0)
    for extra, address in (([], "127.0.0.1"), (["--address", "0.0.0.0"], "0.0.0.0")):
        assert main(["app", "--out", str(tmp_path), "--no-run", *extra]) == 0
        options = dict(zip(started[-1][5::2], started[-1][6::2]))
        assert options["--server.address"] == address
        assert options["--server.maxUploadSize"] == "50"
        assert options["--client.showErrorDetails"] == "none"
        assert started[-1][4].endswith("streamlit_server.py")


def test_uploads_named_as_paths_and_corrupt_workbooks_are_error_rows(tmp_path, monkeypatch):
    """An upload named '..', a path or a hidden file is an error row, never a file written; a damaged workbook is
    an error row saying so, without the temporary folder's path; neither raises."""
    from app.dashboard.auth import User
    from app.dashboard.loaders import validate_upload

    monkeypatch.setenv("RCC_OUT", str(tmp_path))  # every upload is audited: into a store of this test's own
    monkeypatch.delenv("RCC_STORE", raising=False)
    who = User("commissioner", "commissioner", display_name="Commissioner")
    for name in ("..", "../children.csv", ".hidden.csv", "a/b.csv", "..\\children.csv"):
        issues, counts = validate_upload(who, [(name, b"la_code\nE08000001\n")])
        assert counts is None
        assert issues[["file", "severity"]].values.tolist() == [[name, "error"]]
        assert "not a file name rcc reads" in issues["rule"].iloc[0]
    issues, counts = validate_upload(who, [("region.xlsx", b"PK\x03\x04" + os.urandom(200))])
    assert counts is None and issues["severity"].eq("error").any()
    assert issues["rule"].str.contains("cannot be read as a workbook").any()
    assert not issues["rule"].str.contains("/tmp").any()


def test_a_failing_page_shows_a_plain_message_not_a_traceback(monkeypatch):
    """A page whose loader raises shows one plain error and no exception element (no traceback, no file paths)."""
    from app.dashboard import loaders

    def broken(*args, **kwargs) -> pd.DataFrame:
        raise RuntimeError("secret detail /srv/rcc/children.csv")

    monkeypatch.setattr(loaders, "region_issue_counts", broken)
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.session_state["user"] = COMMISSIONER
    at.run()
    at.switch_page("dashboard/pages/data_upload.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [PAGE_FAILED]
    shown = " ".join(e.value for kind in ("markdown", "caption", "error", "text") for e in getattr(at, kind))
    assert "secret detail" not in shown and "Traceback" not in shown


def test_rcc_app_warns_of_a_users_file_others_can_read(tmp_path, monkeypatch, capsys):
    """A users file of real accounts left 0644 gets a warning with the fix; the same file at 0600, and the
    committed demo file (0644 from git), get none."""
    from app.cli import main
    from app.dashboard.auth import add_user

    monkeypatch.setattr("subprocess.call", lambda command, env: 0)
    users = tmp_path / "users.toml"
    add_user(users, "chief", "commissioner", "a-long-password")
    users.chmod(0o644)
    assert main(["app", "--out", str(tmp_path), "--no-run", "--users", str(users)]) == 0
    assert f"chmod 600 {users}" in capsys.readouterr().err
    users.chmod(0o600)
    assert main(["app", "--out", str(tmp_path), "--no-run", "--users", str(users)]) == 0
    assert "chmod" not in capsys.readouterr().err
    monkeypatch.delenv("RCC_USERS", raising=False)
    assert main(["app", "--out", str(tmp_path), "--no-run"]) == 0
    assert "chmod" not in capsys.readouterr().err


def _data_page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.session_state["user"] = COMMISSIONER
    at.run()
    return at.switch_page("dashboard/pages/data_upload.py").run()


def _validate(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value([(name, content, "application/octet-stream")]).run()
    return next(b for b in at.button if b.label == "Validate").click().run()


def test_the_data_page_answers_a_bad_upload_in_words(monkeypatch):
    """On the Data page an upload named as a path (Streamlit itself refuses '..', which has no extension) and a
    damaged workbook each give the error count and the issues table, no exception; a reader that raises gives the
    page's plain message about the files, not a traceback."""
    from app.dashboard import loaders

    at = _data_page()
    damaged = b"PK\x03\x04" + os.urandom(300)
    for name, content in (("../children.csv", b"la_code\nE08000001\n"), ("region.xlsx", damaged)):
        _validate(at, name, content)
        assert not at.exception
        assert at.error[0].value.startswith("1 error(s)")
        assert at.dataframe[0].value["file"].tolist()[0] == name

    def broken(user, files):
        raise KeyError("xl/worksheets/sheet1.xml")

    monkeypatch.setattr(loaders, "validate_upload", broken)
    _validate(at, "region.xlsx", b"PK")
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("rcc could not read these files")
    assert "sheet1.xml" not in " ".join(e.value for e in at.error)
