"""The weekly report's content: every indicator of a period next to the previous period, as plain values.

`build_report` runs the indicator queries (storage/indicators.py) for the period and the one before it,
hands timestamps to the pure arithmetic (analyzers/indicators.py), and returns a `WeeklyReport` that the
HTML, CSV, chart and Slack writers only format. Figures that cannot be computed are None ("no data" is never
shown as 0 %), and what is known about missing data is listed
(`WeeklyReport.gaps()`, `WeeklyReport.problems`).

- periods.py: `Period` (whole local days, an ISO week usually) and its Spanish wording;
- figures.py: `PeriodFigures`, everything counted for one period;
- deadlines.py: the legal deadlines of the questions (met, missed, due soon);
- report.py: `WeeklyReport` (the key indicators, data gaps, the summary kept in report_runs);
- build.py: `build_report`, which runs the queries and gathers a `WeeklyReport`;
- trend.py: the key indicators of the last weeks (`build_trend`);
- audience.py: citizen posts per audience segment, the ministry accounts' followers;
- regions.py: the citizen posts per Colombian department ("Regiones": names and map points from DIVIPOLA,
  regiones*.csv);
- tables.py, audience_tables.py (+ columns.py): the indicator tables (one CSV each, and the HTML report's tables).

The writers import from here; the Spanish labels are bot/labels.py's.
"""

from bot.reports.model.audience import AccountFollowers, SegmentFigures
from bot.reports.model.audience_tables import SegmentSection, segment_sections
from bot.reports.model.build import build_report
from bot.reports.model.deadlines import DUE_SOON_BUSINESS_DAYS, DeadlineStats, Pending, deadline_windows
from bot.reports.model.figures import PeriodFigures, period_figures
from bot.reports.model.periods import Period, days_period, long_day, period_text, short_day, week_period
from bot.reports.model.report import DataGap, Kpi, TrendWeek, WeeklyReport
from bot.reports.model.tables import Column, Table, report_tables
from bot.reports.model.trend import TREND_KEYS, TREND_WEEKS, build_trend, trend_source_text

__all__ = [
    "DUE_SOON_BUSINESS_DAYS",
    "TREND_KEYS",
    "TREND_WEEKS",
    "AccountFollowers",
    "Column",
    "DataGap",
    "DeadlineStats",
    "Kpi",
    "Pending",
    "Period",
    "PeriodFigures",
    "SegmentFigures",
    "SegmentSection",
    "Table",
    "TrendWeek",
    "WeeklyReport",
    "build_report",
    "build_trend",
    "days_period",
    "deadline_windows",
    "long_day",
    "period_figures",
    "period_text",
    "report_tables",
    "segment_sections",
    "short_day",
    "trend_source_text",
    "week_period",
]
