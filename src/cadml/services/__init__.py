"""Use cases that compose the domain through ports.

- :mod:`cadml.services.auth`: passwords, JWTs, API keys, scopes (pure).
- :mod:`cadml.services.accounts`: users, logins, key creation, bearer authentication.
- :mod:`cadml.services.design_jobs`: submit, look up, cancel and recover design jobs.
- :mod:`cadml.services.design_worker`: the handler that runs a design job in a worker.
- :mod:`cadml.services.job_events`: progress announcements and out-of-band failures.
"""

__all__: list[str] = []
