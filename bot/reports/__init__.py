"""The weekly report: figures (model), charts, HTML/PDF rendering, CSV files and the Slack summary."""
