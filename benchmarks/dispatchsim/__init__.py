"""Dispatch simulation (issue 14, part 4): a day in a generated city, three dispatch policies.

``python -m benchmarks run dispatchsim --seed 1 --out DIR`` (see ``run.py``); the city and
call generator are in ``city.py``, the event simulation in ``sim.py``, the policies in
``policies.py``, move-up timing at city size in ``timing.py``, the tables in ``report.py``.
"""
