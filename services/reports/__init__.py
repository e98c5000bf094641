"""Officials' reports built from the scoring engine: the quarterly report to the People's Committee, the annual
self-assessment workbook and the scorecard. `quarterly`/`assessment`/`scorecard` build plain report models
(pure, no I/O); `xlsx` and `pdf` render them; `routes` serves them under `/v1/reports/…`."""
