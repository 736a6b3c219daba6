"""Explorers: the Ravald-Grönroos total episode value calculator (chapter 01).

Built on :func:`crmlib.value.total_episode_value` and :func:`crmlib.value.episode_value_grid`; the
widget reads its sliders, calls those functions and shows their results.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from crmlib.widgets._base import Calculator, figure_png

__all__ = ["EpisodeValueCalculator", "episode_value_calculator"]


class EpisodeValueCalculator(Calculator):
    """Interactive total episode value: sliders for episode and relationship benefits and sacrifices.

    Controls in ``controls`` (``episode_benefits``, ``relationship_benefits``, ``episode_sacrifices``,
    ``relationship_sacrifices``); the value in ``result`` (HTML); the sensitivity heatmap with the
    current point in ``chart`` (Image).
    """

    def __init__(
        self,
        episode_benefits: float = 6.0,
        relationship_benefits: float = 2.0,
        episode_sacrifices: float = 4.0,
        relationship_sacrifices: float = 1.0,
        *,
        scale: float = 10.0,
    ):
        style = {"description_width": "250px"}
        layout = widgets.Layout(width="560px")

        def slider(value, description):
            return widgets.FloatSlider(
                value=value, min=0.0, max=scale, step=0.5, description=description, style=style, layout=layout
            )

        self.scale = scale
        self.controls = {
            "episode_benefits": slider(episode_benefits, f"episode benefits (score 0-{scale:g})"),
            "relationship_benefits": slider(relationship_benefits, f"relationship benefits (score 0-{scale:g})"),
            "episode_sacrifices": slider(episode_sacrifices, f"episode sacrifices (score 0-{scale:g})"),
            "relationship_sacrifices": slider(relationship_sacrifices, f"relationship sacrifices (score 0-{scale:g})"),
        }
        super().__init__(self.controls)

    def _update(self, change=None) -> None:
        from crmlib import value
        from crmlib.plot import episode_value_heatmap

        v = self.values()
        if v["episode_sacrifices"] + v["relationship_sacrifices"] <= 0:
            self.result.value = (
                "<b>Total episode value: undefined</b> (the sacrifices add up to 0; something is always given up)."
            )
            return
        total = value.total_episode_value(**v)
        verdict = (
            "gets more than gives" if total > 1 else ("gets as much as gives" if total == 1 else "gives more than gets")
        )
        self.result.value = (
            f"<b>Total episode value: {total:.2f}</b> = ({v['episode_benefits']:g} + {v['relationship_benefits']:g}) / "
            f"({v['episode_sacrifices']:g} + {v['relationship_sacrifices']:g}): the customer {verdict}."
        )
        steps = np.linspace(0.0, self.scale / 2, 6)
        if v["episode_sacrifices"] <= 0:
            steps = steps[1:]
        grid = value.episode_value_grid(
            v["episode_benefits"], v["episode_sacrifices"], relationship_benefits=steps, relationship_sacrifices=steps
        )
        point = (min(v["relationship_benefits"], steps[-1]), min(v["relationship_sacrifices"], steps[-1]))
        if self.chart is not None:
            self.chart.value = figure_png(
                lambda ax: episode_value_heatmap(grid, ax=ax, marker=point), figsize=(6.5, 4.8)
            )


def episode_value_calculator(
    episode_benefits: float = 6.0,
    relationship_benefits: float = 2.0,
    episode_sacrifices: float = 4.0,
    relationship_sacrifices: float = 1.0,
) -> EpisodeValueCalculator:
    """An interactive Ravald-Grönroos calculator (display it as the last expression of a cell).

    Examples
    --------
    >>> w = episode_value_calculator()
    >>> w.controls["relationship_sacrifices"].value = 3.0     # the displayed value updates
    >>> "Total episode value: 1.14" in w.result.value          # (6 + 2) / (4 + 3)
    True
    """
    return EpisodeValueCalculator(episode_benefits, relationship_benefits, episode_sacrifices, relationship_sacrifices)
