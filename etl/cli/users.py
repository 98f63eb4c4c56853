"""``python -m etl users ...``: who may sign in to the dashboard, with which role and regions.

Every sub-command changes or reads the users file through :class:`etl.accounts.users.UserStore` (locked,
re-read, replaced atomically). Passwords are never command-line arguments (they would sit in the
shell history and in ``ps``): they are asked for twice without echo, or read from one line of
standard input with ``--password-stdin``. A request that cannot be carried out is one
``error: ...`` line and exit code 1, with the file untouched (``etl.cli.main`` renders it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from etl.accounts import pgstore
from etl.accounts.records import User, UserError, utc_now
from etl.accounts.roles import ALL_REGIONS, ROLE_NAMES, ROLES
from etl.accounts.rules import DEMO_USERS, check_password
from etl.accounts.shared_users import user_store
from etl.accounts.users import UserStore
from etl.cli import audited
from etl.config import get_settings


def _store(args: argparse.Namespace) -> UserStore:
    settings = get_settings()
    if args.users is not None and pgstore.enabled(settings):
        raise UserError(f"--users names a file ({args.users}), but with ACCESS_WAREHOUSE set the users are in "
                        f"{pgstore.where(settings)}.", "Leave out --users, or unset ACCESS_WAREHOUSE to manage a file.")
    return user_store(settings, args.users, args.db)  # PostgreSQL in warehouse mode


def _read_password(args: argparse.Namespace, username: str, store: UserStore, demo: bool = False) -> str:
    """The new password, from stdin (``--password-stdin``) or asked twice at the terminal; checked."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("No password on standard input.",
                            "Send it as one line, e.g. `printf '%s\\n' \"$PASSWORD\" | python -m etl users ...`.")
    else:
        if not sys.stdin.isatty():
            raise UserError("There is no terminal to ask for the password.",
                            "Pass it as one line on standard input with --password-stdin.")
        password = getpass.getpass(f"New password for {username}: ")
        if password != getpass.getpass("The same password again: "):
            raise UserError("The two passwords differ; nothing was changed.", "Run the command again.")
    return password if demo else check_password(password, username, store.settings)


def _regions_text(user: User) -> str:
    if ALL_REGIONS in user.regions:
        return "every region"
    if not user.regions:
        return "all (pseudonymised)" if ROLES[user.role].reach == "all" else "none"
    return ", ".join(user.regions)


def _print_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "never"


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    users = store.list_users()
    if not users:
        print(f"No users in {store.path} yet. Add one with `python -m etl users add NAME --role ROLE`, "
              "or create the demo users with `python -m etl users demo`.")
        return 0
    now = utc_now()
    rows = [[u.username, u.display_name, u.role, _regions_text(u), u.status(now), _when(u.last_signed_in_at),
             "yes" if u.demo else ""] for u in users]
    print(f"{store.path}:")
    _print_table(["username", "name", "role", "regions", "status", "last sign-in (UTC)", "demo"], rows)
    if store.demo_active():
        print("\nDemo users can sign in with published passwords: the dashboard shows a demo banner until "
              "`python -m etl users demo --remove`.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    store = _store(args)
    name, role, regions = store.validate_new_user(args.name, args.role, args.regions or "")
    password = _read_password(args, name, store)
    user = store.add_user(name, password, role, regions, display_name=args.display_name or "")
    print(f"Added {user.role} '{user.username}' (regions: {_regions_text(user)}) to {store.path}.")
    return 0


def cmd_set_sso_email(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.set_sso_email(args.name, args.email)
    print(f"'{user.username}' signs in with single sign-on as {user.sso_email}." if user.sso_email
          else f"'{user.username}' no longer signs in with single sign-on.")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.remove_user(args.name)
    print(f"Removed {user.role} '{user.username}' from {store.path}; their open sessions end at their next click.")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.set_role(args.name, args.role, args.regions)
    print(f"'{user.username}' is now {user.role} (regions: {_regions_text(user)}).")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.require(args.name)  # before asking for a password
    password = _read_password(args, user.username, store, demo=user.demo)
    store.set_password(user.username, password)
    print(f"New password set for '{user.username}'; any lock is lifted and their open sessions end.")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.grant_regions(args.name, args.regions, replace_all=args.replace)
    print(f"'{user.username}' ({user.role}) regions: {_regions_text(user)}.")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.revoke_regions(args.name, args.regions)
    print(f"'{user.username}' ({user.role}) regions: {_regions_text(user)}.")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.unlock(args.name)
    print(f"Unlocked '{user.username}': wrong passwords forgotten, they can sign in now.")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.set_disabled(args.name, True)
    print(f"Disabled '{user.username}': they cannot sign in, and their open sessions end at their next click.")
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    store = _store(args)
    user = store.set_disabled(args.name, False)
    print(f"Enabled '{user.username}': they can sign in again.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.remove:
        gone = store.remove_demo_users()
        print(f"Removed {len(gone)} demo user(s) from {store.path}; the demo banner goes away."
              if gone else "No demo users to remove.")
        return 0
    made = store.create_demo_users()
    print(f"Demo users in {store.path} (published passwords: for trying the dashboard, never for real logs):")
    passwords = {d.username: d.password for d in DEMO_USERS}
    _print_table(["username", "password", "role", "regions"],
                 [[u.username, passwords[u.username], u.role, _regions_text(u)] for u in made])
    print("Remove them with `python -m etl users demo --remove` before real logs are loaded.")
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``users`` and its sub-commands on the main parser's sub-parsers."""
    roles = "\n".join(f"  {name:<12} {role.wording}" for name, role in ROLES.items())
    p = sub.add_parser("users", help="who may sign in: add, remove, list, set-role, set-password, grant, unlock, demo",
                       description=f"Who may sign in to the dashboard. Roles:\n{roles}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = p.add_subparsers(dest="users_command", required=True)

    def password_option(c: argparse.ArgumentParser) -> None:
        c.add_argument("--password-stdin", action="store_true",
                       help="read the password from one line of standard input instead of asking for it")

    regions_help = (f"regions as in the regions file, comma-separated in quotes (e.g. \"Asia,Eastern Europe\"); "
                    f"'{ALL_REGIONS}' = every region, hq only")

    c = cmds.add_parser("list", help="every user with role, regions, status and last sign-in (never passwords)")
    c.set_defaults(func=cmd_list)

    c = cmds.add_parser("add", help="add a user (asks for the password twice)")
    c.add_argument("name", help="username: letters, digits, dots, dashes, underscores")
    c.add_argument("--role", required=True, choices=ROLE_NAMES, help="what the user may see")
    c.add_argument("--regions", help=regions_help)
    c.add_argument("--display-name", help="the name shown in the app and the audit log (default: the username)")
    password_option(c)
    c.set_defaults(func=cmd_add)

    c = cmds.add_parser("remove", help="remove a user")
    c.add_argument("name")
    c.set_defaults(func=cmd_remove)

    c = cmds.add_parser("set-role", help="give a user another role")
    c.add_argument("name")
    c.add_argument("role", choices=ROLE_NAMES)
    c.add_argument("--regions", help="replace the regions at the same time: " + regions_help)
    c.set_defaults(func=cmd_set_role)

    c = cmds.add_parser("set-password", help="set a new password (asks twice); lifts a lock, ends open sessions")
    c.add_argument("name")
    password_option(c)
    c.set_defaults(func=cmd_set_password)

    c = cmds.add_parser("grant", help="grant regions to a user")
    c.add_argument("name")
    c.add_argument("regions", help=regions_help)
    c.add_argument("--replace", action="store_true", help="make these the user's only regions")
    c.set_defaults(func=cmd_grant)

    c = cmds.add_parser("revoke", help="take regions away from a user")
    c.add_argument("name")
    c.add_argument("regions", help="regions to take away, comma-separated in quotes")
    c.set_defaults(func=cmd_revoke)

    c = cmds.add_parser("set-sso-email", help="let a single sign-on identity (e-mail) sign in as this user")
    c.add_argument("name")
    c.add_argument("email", help="the address the provider reports; '' to clear")
    c.set_defaults(func=cmd_set_sso_email)

    c = cmds.add_parser("unlock", help="lift a lock after too many wrong passwords")
    c.add_argument("name")
    c.set_defaults(func=cmd_unlock)

    c = cmds.add_parser("disable", help="stop a user from signing in (kept on record)")
    c.add_argument("name")
    c.set_defaults(func=cmd_disable)

    c = cmds.add_parser("enable", help="let a disabled user sign in again")
    c.add_argument("name")
    c.set_defaults(func=cmd_enable)

    c = cmds.add_parser("demo", help="create (or reset) one demo user per role, with published passwords")
    c.add_argument("--remove", action="store_true", help="remove every demo user instead")
    c.set_defaults(func=cmd_demo)

    for name, parser in cmds.choices.items():
        add_db(parser)
        parser.add_argument("--users", type=Path, default=None, metavar="FILE",
                            help="the users file (default: $ACCESS_USERS_FILE, or users.json beside --db)")
        if name != "list":  # every change is on record in the audit log (etl/accounts/audit.py); never a password
            parser.set_defaults(func=audited.audited("users_change", parser.get_default("func"), target=("name",),
                                                   detail=("role", "regions", "display_name", "replace", "remove",
                                                           "email")))
