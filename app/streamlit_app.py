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

# An emoji favicon is drawn in the browser; a :material/...: one would be fetched from Google.
st.set_page_config(page_title="qualcode", page_icon="🏷️", layout="wide")
pages = [
    st.Page("views/start.py", title="Start", icon=":material/person:", default=True),
    st.Page("views/code.py", title="Code", icon=":material/edit_note:"),
    st.Page("views/codebook.py", title="Codebook", icon=":material/menu_book:"),
    st.Page("views/agreement.py", title="Agreement", icon=":material/balance:"),
    st.Page("views/themes.py", title="Themes", icon=":material/bar_chart:"),
    st.Page("views/framework.py", title="Framework matrix", icon=":material/table_chart:"),
    st.Page("views/discover.py", title="Discover", icon=":material/explore:"),
    st.Page("views/retrieve.py", title="Retrieve", icon=":material/search:"),
    st.Page("views/search.py", title="Search", icon=":material/manage_search:"),
    st.Page("views/memos.py", title="Memos", icon=":material/sticky_note_2:"),
    st.Page("views/manage.py", title="Manage", icon=":material/folder_open:"),
]
page = st.navigation(pages)
# Whether this run opened the page (a sidebar click, a reload) rather than a click on it:
# the Codebook page, for one, shows the newest version when it is opened.
st.session_state["_entered"] = st.session_state.get("_page_now") != page.url_path
st.session_state["_page_now"] = page.url_path
page.run()
