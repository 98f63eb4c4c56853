from tests.dashboard.conftest import *  # noqa: F401,F403
