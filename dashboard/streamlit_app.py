"""Router: sign-in first, then the pages this user's role allows, with their stable URL paths."""

from pathlib import Path

import streamlit as st

from dashboard import shell, warmup
from dashboard.session import auth
from dashboard.ui import signin
from etl.accounts import roles

# A local icon: an emoji or material icon as favicon would be fetched from a CDN, which fails offline.
st.set_page_config(page_title="Access negotiations", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"),
                   layout="wide")

# (page file, title, icon, url path, capability needed). A page the role lacks is not routed at all.
PAGES = [
    ("app_pages/trends.py", "Trends", ":material/trending_up:", "", roles.TRENDS),
    ("app_pages/map.py", "Map", ":material/map:", "map", roles.TRENDS),
    ("app_pages/obstacles.py", "Obstacles", ":material/block:", "obstacles", roles.PATTERNS),
    ("app_pages/counterparts.py", "Counterparts", ":material/groups:", "counterparts", roles.PATTERNS),
    ("app_pages/counterpart.py", "Counterpart lookup", ":material/person_search:", "counterpart",
     roles.COUNTERPART_LOOKUP),
    ("app_pages/data.py", "Data", ":material/database:", "data", roles.LOADS),
    ("app_pages/audit.py", "Audit log", ":material/policy:", "audit", roles.AUDIT_LOG),
]

warmup.visitor()  # the start-up warm-up pauses while someone's page is drawn
session = auth.gate()
if session is None:
    # The sign-in form answers at every page's address, so a shared link (with its filters) opens that
    # page once signed in, instead of dropping the reader on the default page.
    st.navigation([st.Page(signin.sign_in_page, title=f"Sign in ({t})", url_path=u or None, default=not u)
                   for _f, t, _i, u, _need in PAGES], position="hidden").run()
    st.stop()

scope = session.scope
allowed = [(f, t, i, u) for f, t, i, u, need in PAGES
           if scope.may(need) and (Path(__file__).parent / f).exists()]
pages = [st.Page(f, title=t, icon=i, url_path=u or None, default=n == 0 and not u)
         for n, (f, t, i, u) in enumerate(allowed)]
if not pages:
    st.navigation([st.Page(shell.nothing_to_show, title="No access", url_path="none", default=True)]).run()
    st.stop()
if allowed[0][3]:
    # Streamlit serves the default page at "/" only, so a role whose first page has its own address (admin:
    # /data, negotiator: /counterpart) would get "Page not found" there: "/" is a hidden page that goes to it.
    first = pages[0]

    def _home() -> None:
        st.switch_page(first)

    pages.insert(0, st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"))
_denied_page = shell.page_outside_role(PAGES, allowed)
if _denied_page:
    auth.audit_event("denied", target=_denied_page, detail={"what": "page", "why": "not for this role"},
                     once=True)
navigation = st.navigation(pages)
auth.set_cookie()
signin.user_box(session)
shell.frame()
navigation.run()
