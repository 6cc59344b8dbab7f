"""The web app (`yoc serve`): pages per audience, an HTTP API, datapacks and access control.

Server-rendered (FastAPI + Jinja) over a read-only view of the store; interactive charts draw
the same Vega-Lite specs as the reports, with Vega served from the package (no CDN). App state
(users, sessions, audit log, saved cohorts) lives in SQLite beside the store, never in it.
"""
