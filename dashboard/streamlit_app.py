"""Router: sign-in first, then the pages this user's role allows, with their stable URL paths."""

from pathlib import Path

import streamlit as st

from dashboard import registry, shell, warmup
from dashboard.session import auth
from dashboard.ui import signin

# A local icon: an emoji or material icon as favicon would be fetched from a CDN, which fails offline.
st.set_page_config(page_title="Access negotiations", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"),
                   layout="wide")

# The pages, with their titles, addresses and the capability each needs, are declared in dashboard/registry.py.
# A page the role lacks is not routed at all.
PAGES = registry.PAGES

warmup.visitor()  # the start-up warm-up pauses while someone's page is drawn
session = auth.gate()
if session is None:
    # The sign-in form answers at every page's address, so a shared link (with its filters) opens that
    # page once signed in, instead of dropping the reader on the default page.
    st.navigation([st.Page(signin.sign_in_page, title=f"Sign in ({p.title})", url_path=p.url_path or None,
                           default=not p.url_path) for p in PAGES], position="hidden").run()
    st.stop()

scope = session.scope
allowed = registry.pages_for(scope)
pages = [st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path or None, default=n == 0 and not p.url_path)
         for n, p in enumerate(allowed)]
if not pages:
    st.navigation([st.Page(shell.nothing_to_show, title="No access", url_path="none", default=True)]).run()
    st.stop()
if allowed[0].url_path:
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
