"""Charts drawn on the server as SVG (pygal), sized for a phone: images that scale with the
page, carry no script, and have a text alternative. Every chart on a page has its figures
beside it as a table too."""

from urllib.parse import quote

import pygal
from django.utils.html import format_html
from django.utils.safestring import SafeString
from pygal.etree import etree
from pygal.style import Style

_FONT = '"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif'

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    colors=("#1d5fbf", "#2f9e44", "#d9480f", "#7048e8", "#868e96"),
    font_family=_FONT,
    label_font_family=_FONT,
    major_label_font_family=_FONT,
    value_font_family=_FONT,
    value_label_font_family=_FONT,
    title_font_family=_FONT,
    legend_font_family=_FONT,
    tooltip_font_family=_FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    title_font_size=15,
)

_COMMON = {
    "style": STYLE,
    "width": 400,
    "height": 280,
    "js": [],
    "disable_xml_declaration": True,
    "explicit_size": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 2,
    "truncate_label": -1,
    "truncate_legend": -1,
    "print_values": False,
    "show_y_guides": True,
    "margin": 8,
}


def _svg(chart, *, label: str) -> SafeString:
    """The chart as an image of inline SVG (a data address: no second request), without
    pygal's configuration script and comments. As an image it can run nothing, and it is
    one element with a text alternative for screen readers; the figures are in a table too."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.endswith("script"):
                parent.remove(child)
    svg = etree.tostring(tree, encoding="unicode")
    return format_html(
        '<img class="chart-image" src="data:image/svg+xml;charset=utf-8,{}" alt="{}" width="{}" height="{}">',
        quote(svg, safe=" /=:;,()-.'!*_~"),
        label,
        chart.config.width,
        chart.config.height,
    )


def bars(*, label: str, x_labels: list[str], series: list[tuple[str, list]], percent: bool = False) -> SafeString:
    chart = pygal.Bar(
        **_COMMON,
        x_label_rotation=-45 if len(x_labels) > 6 else 0,
        range=(0, 100) if percent else None,
        show_legend=len(series) > 1,
    )
    chart.x_labels = x_labels
    for name, values in series:
        chart.add(name, values)
    return _svg(chart, label=label)


def lines(*, label: str, x_labels: list[str], series: list[tuple[str, list]], percent: bool = False) -> SafeString:
    chart = pygal.Line(
        **_COMMON,
        x_label_rotation=-45 if len(x_labels) > 6 else 0,
        range=(0, 100) if percent else None,
        dots_size=3,
        allow_interruptions=True,
        show_legend=len(series) > 1,
    )
    chart.x_labels = x_labels
    for name, values in series:
        chart.add(name, values)
    return _svg(chart, label=label)


# Names longer than this are cut on the chart (with an ellipsis); the table beside has them whole.
LABEL_CHARACTERS = 7


def horizontal_bars(*, label: str, rows: list[tuple[str, float | None]], series_name: str, percent: bool = False):
    """One bar per row, the first row on top, its value printed on the bar."""
    chart = pygal.HorizontalBar(
        **{
            **_COMMON,
            "height": max(160, 40 * len(rows) + 70),
            "print_values": True,
            "truncate_label": LABEL_CHARACTERS,
        },
        show_legend=False,
        range=(0, 100) if percent else None,
        # pygal measures Chinese labels as if they were narrower than they are.
        margin_left=36,
        # The value axis: HorizontalBar swaps the axes, so these are its "x" labels.
        x_labels_major_count=5,
        show_minor_x_labels=False,
    )
    # pygal draws the first value at the bottom.
    chart.x_labels = [name for name, _ in reversed(rows)]
    chart.add(series_name, [value for _, value in reversed(rows)])
    return _svg(chart, label=label)
