"""The sign-in page and the signed-in user's box in the sidebar (what :mod:`dashboard.session.auth` decides, drawn)."""

from __future__ import annotations

import streamlit as st

from dashboard.session import auth
from dashboard.ui.frontend import preload_script
from dashboard.ui.safe_text import markdown_text
from etl.accounts.users import DEMO_USERS, Session


def _submit() -> None:
    auth.sign_in(st.session_state.get("auth_username", ""), st.session_state.get("auth_password", ""))
    st.session_state["auth_password"] = ""  # never kept in the session once used


def sign_in_page() -> None:
    """The only page someone who is not signed in can reach."""
    st.title("Access negotiations")
    why = st.session_state.get(auth.ENDED)
    if why:
        st.info(why, icon=":material/timer_off:")
    users = auth.store()
    if not users.exists():
        st.error(f"No users yet: nobody can sign in. Create one on the server with "
                 f"`python -m etl users add NAME --role coordinator --regions REGION` (users file: {users.path}), "
                 "or `python -m etl users demo` for the demo users.", icon=":material/person_off:")
        return
    if users.demo_active():
        st.warning("Demo users are active: sign in as " + ", ".join(f"`{u.username}`" for u in DEMO_USERS)
                   + " (the password is the username). Never put real logs in a database with demo users: "
                     "remove them with `python -m etl users demo --remove`.", icon=":material/warning:")
    if auth.sso_configured():
        st.button("Sign in with single sign-on", on_click=st.login, icon=":material/key:", key="auth_sso",
                  type="primary")
        st.caption("Or with a username and password from the users file:")
    with st.form("sign_in", border=True, enter_to_submit=True):
        st.text_input("Username", key="auth_username", max_chars=64, autocomplete="username")
        st.text_input("Password", key="auth_password", type="password", max_chars=1024,
                      autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_submit)
    message = st.session_state.get("auth_message")
    if message:
        st.error(message, icon=":material/lock:")
    st.caption("Negotiation records can endanger people if they leak: access is by role and region, and every "
               "sign-in, profile view and export is logged.")
    script = preload_script()  # the chart and table code, loaded while the password is typed
    if script:
        st.html(script, unsafe_allow_javascript=True)


def user_box(session: Session) -> None:
    """Who is signed in, with what reach, and the sign-out button (sidebar)."""
    scope = session.scope
    reach = ("every region" if scope.every_region else ", ".join(sorted(scope.regions)) or "no region")
    with st.sidebar:
        st.caption(f"Signed in as **{markdown_text(session.display_name)}** ({session.role}) · {markdown_text(reach)}"
                   + (" · names pseudonymised outside granted regions" if scope.pseudonymise_names
                      and not scope.clear_everywhere else ""))
        st.button("Sign out", on_click=auth.sign_out, icon=":material/logout:", key="auth_sign_out")
    if session.demo:
        st.warning("Demo account: this sign-in is public. Use the demo data only.", icon=":material/warning:")
