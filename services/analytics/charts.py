"""Charts drawn on the server as SVG (pygal), sized for a phone: they scale with the page
(a viewBox, no fixed size), carry no script, and name themselves for screen readers. Every
chart on a page has its figures beside it as a table too."""

import pygal
from django.utils.safestring import SafeString, mark_safe
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
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 2,
    "truncate_label": -1,
    "truncate_legend": -1,
    "print_values": False,
    "show_y_guides": True,
    "margin": 8,
}


def _svg(chart, *, label: str) -> SafeString:
    """The chart as inline SVG, without pygal's configuration script and comments."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.endswith("script"):
                parent.remove(child)
    tree.set("role", "img")
    tree.set("aria-label", label)
    tree.set("focusable", "false")
    return mark_safe(etree.tostring(tree, encoding="unicode"))  # noqa: S308 - our own chart; etree escapes the text


def bars(*, label: str, x_labels: list[str], series: list[tuple[str, list]], percent: bool = False) -> SafeString:
    chart = pygal.Bar(**_COMMON, x_label_rotation=-45 if len(x_labels) > 6 else 0, range=(0, 100) if percent else None)
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
    )
    chart.x_labels = x_labels
    for name, values in series:
        chart.add(name, values)
    return _svg(chart, label=label)


def horizontal_bars(*, label: str, rows: list[tuple[str, float | None]], series_name: str, percent: bool = False):
    """One bar per row, longest names readable: labels sit on the left of each bar."""
    chart = pygal.HorizontalBar(
        **{**_COMMON, "height": max(160, 44 * len(rows) + 90), "print_values": True},
        show_legend=False,
        range=(0, 100) if percent else None,
    )
    chart.x_labels = [name for name, _ in rows]
    chart.add(series_name, [value for _, value in rows])
    return _svg(chart, label=label)
