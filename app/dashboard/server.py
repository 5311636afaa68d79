"""How the dashboard is served: Streamlit's options and the HTTP headers it cannot set itself. No Streamlit import,
so the command line builds its command without starting one.

`rcc app` and the tests both start `streamlit_command()`, which runs app/streamlit_server.py: an st.App (Streamlit's
own Starlette server) serving app/streamlit_app.py behind `SecurityHeaders`.
"""

from __future__ import annotations

import sys
from pathlib import Path

LAUNCHER = Path(__file__).resolve().parent.parent / "streamlit_server.py"
# The loopback address: only this machine reaches the dashboard unless `rcc app --address` says otherwise.
DEFAULT_ADDRESS = "127.0.0.1"
# A region's files, ten councils and six years of SSDA903 history, are about 6 MB; 50 MB leaves room for the largest
# RCC and a workbook's overhead, while Streamlit's 200 MB default lets one upload hold a server's memory.
MAX_UPLOAD_MB = 50
# A page may be framed by no other site: clickjacking (a hidden frame tricking a signed-in officer into clicks).
# X-Frame-Options for browsers that predate CSP's frame-ancestors.
HEADERS = {"content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY"}


def streamlit_options(port: int, address: str = DEFAULT_ADDRESS, secrets: Path | None = None) -> list[str]:
    """`secrets`: Streamlit's secrets file with the single sign-on provider ([auth]), instead of its own search of
    .streamlit/secrets.toml."""
    chosen = ["--secrets.files", str(secrets)] if secrets else []
    return [*chosen, "--server.address", address, "--server.port", str(port), "--server.headless", "true",
            "--server.maxUploadSize", str(MAX_UPLOAD_MB),
            # the browser gets no traceback, type or message; the pages' own plain message stands instead
            "--client.showErrorDetails", "none",
            "--client.toolbarMode", "viewer", "--browser.gatherUsageStats", "false"]


def streamlit_command(port: int, address: str = DEFAULT_ADDRESS, secrets: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(LAUNCHER), *streamlit_options(port, address, secrets)]


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP response (Streamlit has no option for response headers)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                ours = {name.encode() for name in HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ours]
                message = dict(message, headers=kept + [(k.encode(), v.encode()) for k, v in HEADERS.items()])
            await send(message)

        await self.app(scope, receive, send_with_headers)
