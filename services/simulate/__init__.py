"""`dti simulate`: the province's systems played against a running instance.

`rhythm` (office hours, weekends, holidays), `profile` (units and metrics of the province), `model` (how
digital each unit is, calibrated against the scoring engine) and `generator` (the event stream) are pure;
`sender` (async HTTP) and `runner` (pacing, progress, record/replay) do the I/O.
"""
