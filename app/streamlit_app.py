"""qualcode app entry point: `qualcode app STUDY` runs `streamlit run` on this file.

One file per page under app/views/; all data through the Study API (app/state.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `app.views` importable when run by `streamlit run`
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app.views import segments, start  # noqa: E402

st.set_page_config(page_title="qualcode", layout="wide")
pages = [
    st.Page(start.render, title="Start", url_path="start", default=True),
    st.Page(segments.render, title="Segments", url_path="segments"),
]
st.navigation(pages).run()
