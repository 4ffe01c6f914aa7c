"""A banner that says when the run service cannot work: the run store (database) or, in the
classroom set-up, the job service (Redis) is unavailable."""
from __future__ import annotations

from typing import Any

from dash import Input, Output, callback, dcc, html

from components import ids
from components.cards import message
from service.settings import job_service_problem, run_store_problem

POLL_MS = 2000


def service_banner() -> html.Div:
    return html.Div([html.Div(id=ids.JOB_SERVICE_BANNER),
                     dcc.Interval(id=ids.JOB_SERVICE_POLL, interval=POLL_MS)], className="service-banner")


@callback(Output(ids.JOB_SERVICE_BANNER, "children"), Input(ids.JOB_SERVICE_POLL, "n_intervals"))
def show_job_service(_tick: Any):
    problems = [p for p in (run_store_problem(), job_service_problem()) if p]
    return [message(p) for p in problems] if problems else None
