"""Plans people can look at: clock times, text tables, and one self-contained HTML page.

``clock`` and ``text`` need nothing beyond the service's own dependencies (the CLI uses them for
``--format table|summary``). ``page`` and ``figures`` draw with plotly, an optional extra
(``pip install -e '.[render]'``); they are imported only by ``dispatch render``.
"""
