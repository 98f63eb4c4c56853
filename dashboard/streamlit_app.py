"""Router: the pages and their stable URL paths. Nothing else happens here."""

from pathlib import Path

import streamlit as st

from dashboard import shell

# A local icon: an emoji or material icon as favicon would be fetched from a CDN, which fails offline.
st.set_page_config(page_title="Access negotiations", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")

pages = [
    st.Page("app_pages/trends.py", title="Trends", icon=":material/trending_up:", default=True),
    st.Page("app_pages/map.py", title="Map", icon=":material/map:", url_path="map"),
    st.Page("app_pages/obstacles.py", title="Obstacles", icon=":material/block:", url_path="obstacles"),
    st.Page("app_pages/counterparts.py", title="Counterparts", icon=":material/groups:", url_path="counterparts"),
    st.Page("app_pages/counterpart.py", title="Counterpart lookup", icon=":material/person_search:",
            url_path="counterpart"),
    st.Page("app_pages/data.py", title="Data", icon=":material/database:", url_path="data"),
]
navigation = st.navigation(pages)
shell.frame()
navigation.run()
