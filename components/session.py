"""Which browser is asking: an id kept in the signed session cookie (a client cannot claim another's)."""
from __future__ import annotations

import uuid

import flask

SESSION_KEY = "rnnlab"


def browser_session() -> str:
    """This browser's id, created on its first request that needs one."""
    if not isinstance(flask.session.get(SESSION_KEY), str):
        flask.session[SESSION_KEY] = uuid.uuid4().hex
    return flask.session[SESSION_KEY]
