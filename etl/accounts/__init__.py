"""People: roles, the users file and its sign-in checks, and the audit trail."""
