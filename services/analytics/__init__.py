"""Service delivery, measured (绩效考核): summary tables rebuilt from the cases by a beat task,
the measures read from them (selectors), the dashboards for department administrators and
city leaders, and the public statistics (open data). Analytics only reads the other apps."""
