"""`/statistik`: figures and a chart for an area and a period, with drill-down — officials
(any area of the forum) and coordinators (their scopes) only.

A view is two messages: the figures as text, then the chart as a photo that carries the
buttons (periods, sub-regions, up, list of empty kelurahan/desa, Excel export). Telegram cannot
swap a photo by editing a text, so navigating sends the next view and deletes the previous one.
Every button names its area in the callback data, and every press is re-checked against the
user's scopes on the server: a forged `st:v:<code>` for another area is refused.

Where to look:

* `figures` — the view's text: counts, percentages, per-region rows (no Telegram);
* `charts` — the chart of a view and the cache of charts already uploaded;
* `view` — one view composed (text, chart, buttons), sent and replaced on navigation;
* `drilldown` — the command and the buttons: scope chooser, drill-down, empty villages.
"""

from bot.statistics.charts import ChartCache
from bot.statistics.drilldown import handlers

__all__ = ["ChartCache", "handlers"]
