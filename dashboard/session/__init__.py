"""Who is signed in: sign-in, remembered sessions, downloads bound to a session, origin guard."""
