"""Router: lists the pages, nothing else."""

import streamlit as st

st.set_page_config(page_title="Access negotiations", page_icon=":material/handshake:", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/monitoring:", url_path="", default=True),
]
st.navigation(pages).run()
