"""The dashboard's server: Streamlit's own Starlette server (st.App) serving streamlit_app.py with the anti-framing
headers. `streamlit run` finds `app` below and serves it; start it with `rcc app` (app/dashboard/server.py holds its
options)."""

import logging
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from app.dashboard.server import SecurityHeaders

# Sign-in failures and lock-outs (rcc.access) and page failures (rcc.dashboard) to the server's log, with the time.
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
for _name in ("rcc.access", "rcc.dashboard"):
    logging.getLogger(_name).addHandler(_handler)
    logging.getLogger(_name).setLevel(logging.INFO)



def _on_script_error(exc: Exception) -> bool:
    # imported here, inside the running app: the pages' modules are made once Streamlit's runtime exists
    from app.dashboard.ui import friendly_error

    return friendly_error(exc)


app = st.App(Path(__file__).resolve().parent / "streamlit_app.py", middleware=[Middleware(SecurityHeaders)],
             on_script_error=_on_script_error)
