"""Charts: loyalty stages, scale reliability, stage vs behaviour, value gap, rewards, programme break-even.

Each function takes what :mod:`crmlib.loyalty` computed, draws on ``ax`` (a new figure if None) through
``ax.*`` only and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "stage_profile_chart",
    "item_total_chart",
    "stage_behaviour_chart",
    "value_gap_chart",
    "reward_profile_chart",
    "break_even_chart",
    "bond_stage_chart",
]

_STAGE_COLORS = {
    "none": "#9e9e9e",
    "cognitive": "#8fb8de",
    "affective": "#4c72b0",
    "conative": "#2a9d8f",
    "action": "#c44e52",
}


def stage_profile_chart(
    scores: pd.DataFrame, stages: pd.Series | None = None, *, threshold: float | None = None, ax: Axes | None = None
) -> Axes:
    """Mean score on each of Oliver's four stages, one line per assigned stage (or one line overall).

    Parameters
    ----------
    scores : DataFrame
        From :func:`crmlib.loyalty.stage_scores` (columns cognitive, affective, conative, action).
    stages : Series, optional
        Assigned stage per respondent (same index); one line per stage group.
    threshold : float, optional
        Drawn as a dashed line (the threshold of the stage rule).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import loyalty
    >>> s = pd.DataFrame({"cognitive": [6, 4], "affective": [5, 3], "conative": [5, 3], "action": [4, 2]})
    >>> ax = stage_profile_chart(s, loyalty.assign_stage(s), threshold=5)
    """
    from crmlib.loyalty import STAGE_LABELS, STAGES

    ax = get_ax(ax, (7.5, 4.5))
    x = np.arange(len(STAGES))
    if stages is None:
        groups = {"all respondents": scores}
    else:
        s = pd.Series(np.asarray(stages, dtype=object), index=scores.index)
        groups = {g: scores[s == g] for g in STAGE_LABELS if (s == g).any()}
    for name, frame in groups.items():
        m = frame[list(STAGES)].mean()
        ax.plot(
            x,
            m.to_numpy(),
            marker="o",
            lw=2,
            color=_STAGE_COLORS.get(name, "#4c72b0"),
            label=f"{name} (n={len(frame)})",
        )
    if threshold is not None:
        ax.axhline(threshold, ls="--", color="0.4", lw=1)
        ax.annotate(
            f"threshold {threshold:g}",
            (x[-1], threshold),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=9,
            color="0.3",
            ha="right",
        )
    ax.set_xticks(x, [s.capitalize() for s in STAGES])
    ax.set_ylabel("mean stage score (1-7)")
    ax.set_ylim(1, 7)
    ax.set_title("Loyalty stage profile: mean score on each of Oliver's stages")
    ax.legend(title="assigned stage" if stages is not None else None, fontsize=9, loc="lower left")
    return ax


def item_total_chart(
    items: pd.DataFrame, *, stage_of: dict | None = None, floor: float = 0.3, ax: Axes | None = None
) -> Axes:
    """Corrected item-total correlation of each item (bars), with the usual 0.3 floor.

    Parameters
    ----------
    items : DataFrame
        From :func:`crmlib.loyalty.item_analysis` (several scales may be concatenated); column
        ``item_total_r``.
    stage_of : dict, optional
        ``item -> stage`` to colour the bars.
    floor : float
        Reference line.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import loyalty
    >>> y = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    >>> ax = item_total_chart(loyalty.item_analysis(y))
    """
    ax = get_ax(ax, (7.5, max(3.0, 0.28 * len(items) + 1)))
    y = np.arange(len(items))[::-1]
    colors = [_STAGE_COLORS.get((stage_of or {}).get(i, ""), "#4c72b0") for i in items.index]
    ax.barh(y, items["item_total_r"].to_numpy(), color=colors)
    ax.set_yticks(y, list(items.index))
    ax.axvline(floor, ls="--", color="0.4", lw=1)
    ax.set_xlim(min(0.0, float(items["item_total_r"].min()) - 0.05), 1)
    ax.set_xlabel("corrected item-total correlation")
    ax.set_title("Does each item measure what its scale measures?")
    if stage_of:
        from matplotlib.patches import Patch

        seen = list(dict.fromkeys(stage_of[i] for i in items.index if i in stage_of))
        ax.legend(
            handles=[Patch(color=_STAGE_COLORS.get(s, "#4c72b0"), label=s) for s in seen], fontsize=9, loc="lower right"
        )
    return ax


def stage_behaviour_chart(
    behaviour: pd.DataFrame, columns: Sequence[str] = ("repeat_rate", "churned"), ax: Axes | None = None
) -> Axes:
    """Grouped bars: behaviour by loyalty stage (shares such as repeat rate and churned).

    Parameters
    ----------
    behaviour : DataFrame
        From :func:`crmlib.loyalty.stage_behaviour`.
    columns : sequence of str
        Share columns to draw (values in [0, 1]).

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"customers": [10, 12], "repeat_rate": [0.4, 0.9], "churned": [0.8, 0.5]},
    ...                  index=["none", "action"])
    >>> ax = stage_behaviour_chart(b)
    """
    ax = get_ax(ax, (7.5, 4.2))
    n = len(columns)
    x = np.arange(len(behaviour))
    width = 0.8 / n
    palette = ["#4c72b0", "#c44e52", "#55a868", "#8172b2"]
    labels = {"repeat_rate": "bought again", "churned": "inactive (churned)"}
    for j, col in enumerate(columns):
        vals = behaviour[col].to_numpy(dtype=float)
        bars = ax.bar(x + (j - (n - 1) / 2) * width, vals, width, color=palette[j % 4], label=labels.get(col, col))
        for b, v in zip(bars, vals):
            ax.annotate(f"{v:.0%}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{s}\n(n={int(c)})" for s, c in zip(behaviour.index, behaviour["customers"])])
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel("share of the stage's customers")
    ax.set_title("Behaviour in the transaction log by surveyed loyalty stage")
    ax.legend(fontsize=9, loc="upper center", ncols=n)
    return ax


def value_gap_chart(
    value_received: float, switching_cost: float, *, alternatives: Sequence[float] | None = None, ax: Axes | None = None
) -> Axes:
    """The value gap: the switching margin against the value of the best alternative.

    Draws :math:`M = V - A + C` with and without switching cost as the alternative's value *A* rises;
    the customer stays while *M* > 0. The band between the two break points is where only the switching
    cost holds the customer (spurious loyalty).

    Examples
    --------
    >>> ax = value_gap_chart(100, 30)
    """
    from crmlib.loyalty import switching_margin

    ax = get_ax(ax, (7.5, 4.2))
    v, c = float(value_received), float(switching_cost)
    a = np.linspace(0, 2 * v + c, 200) if alternatives is None else np.asarray(alternatives, dtype=float)
    ax.plot(a, switching_margin(v, a, c), color="#4c72b0", lw=2, label=f"with switching cost ({c:g})")
    ax.plot(a, switching_margin(v, a, 0.0), color="#c44e52", lw=2, ls="--", label="without switching cost")
    ax.axhline(0, color="0.2", lw=1)
    ax.axvspan(v, v + c, color="#f2c14e", alpha=0.3, label="held only by the switching cost")
    ax.axvline(v, color="0.5", lw=0.8, ls=":")
    ax.annotate("value received", (v, ax.get_ylim()[1]), xytext=(3, -12), textcoords="offset points", fontsize=9)
    ax.set_xlabel("value of the best alternative (money per year)")
    ax.set_ylabel("switching margin M = V - A + C")
    ax.set_title("The customer stays while M > 0")
    ax.legend(fontsize=9, loc="lower left")
    return ax


def reward_profile_chart(profile: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean rating of each reward dimension with its 95 % interval (from :func:`crmlib.loyalty.reward_profile`).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import loyalty
    >>> scores = pd.DataFrame({"reward_speed": [4, 5, 6], "reward_choice": [3, 4, 4]})
    >>> ax = reward_profile_chart(loyalty.reward_profile(scores))
    """
    ax = get_ax(ax, (7.0, 3.8))
    y = np.arange(len(profile))[::-1]
    m = profile["mean"].to_numpy(dtype=float)
    ax.barh(y, m, color="#4c72b0", alpha=0.85)
    ax.errorbar(
        m, y, xerr=[m - profile["low"].to_numpy(), profile["high"].to_numpy() - m], fmt="none", ecolor="0.2", capsize=3
    )
    ax.set_yticks(y, [str(i).replace("_", " ") for i in profile.index])
    ax.axvline(4, ls="--", color="0.5", lw=1)
    ax.set_xlim(1, 7)
    ax.set_xlabel("mean rating (1 = poor ... 7 = excellent; 4 = neutral)")
    ax.set_title("How members rate the programme's rewards (O'Brien and Jones 1995)")
    return ax


def break_even_chart(
    *,
    members: float,
    revenue: float,
    margin_rate: float,
    reward_rate: float,
    running_cost: float,
    retention_lifts: Sequence[float] = (0.0, 0.02, 0.05),
    max_lift: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Net gain of a loyalty programme against the spend lift, one line per retention lift; break-even marked.

    Computed with :func:`crmlib.loyalty.programme_economics` and :func:`crmlib.loyalty.break_even_lift`.
    ``max_lift`` (default: 0.3, or 1.25 times the largest break-even lift if that is further) ends the x axis.

    Examples
    --------
    >>> ax = break_even_chart(members=1000, revenue=500, margin_rate=0.3, reward_rate=0.02, running_cost=10_000)
    """
    from crmlib.loyalty import break_even_lift, programme_economics

    ax = get_ax(ax, (7.5, 4.2))
    kw = dict(
        members=members, revenue=revenue, margin_rate=margin_rate, reward_rate=reward_rate, running_cost=running_cost
    )
    if max_lift is None:
        max_lift = max(0.3, 1.25 * max(break_even_lift(**kw, retention_lift=dr) for dr in retention_lifts))
    lifts = np.linspace(0, max_lift, 61)
    palette = ["#4c72b0", "#55a868", "#c44e52", "#8172b2"]
    for j, dr in enumerate(retention_lifts):
        net = [programme_economics(**kw, spend_lift=s, retention_lift=dr)["net_gain"] for s in lifts]
        ax.plot(lifts, net, color=palette[j % 4], lw=2, label=f"retention lift {dr:.0%}")
        s_star = break_even_lift(**kw, retention_lift=dr)
        if 0 <= s_star <= max_lift:
            ax.plot([s_star], [0], "o", color=palette[j % 4])
            ax.annotate(
                f"{s_star:.1%}",
                (s_star, 0),
                xytext=(4, -16 if j % 2 == 0 else 8),
                textcoords="offset points",
                fontsize=9,
                color=palette[j % 4],
            )
    ax.axhline(0, color="0.2", lw=1)
    ax.xaxis.set_major_formatter(_percent())
    ax.set_xlabel("spend lift of members")
    ax.set_ylabel("net gain per year (money)")
    ax.set_title("Loyalty programme: when do the extra margins pay for the rewards?")
    ax.legend(fontsize=9)
    return ax


def bond_stage_chart(shares: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars: which bond the customers of each stage value most (from :func:`crmlib.loyalty.bond_by_stage`).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import loyalty
    >>> stages = pd.Series(["none", "none", "action"])
    >>> t = loyalty.bond_by_stage(stages, pd.Series(["financial", "social", "structural"]))
    >>> ax = bond_stage_chart(t)
    """
    ax = get_ax(ax, (7.5, 4.2))
    x = np.arange(len(shares))
    bottom = np.zeros(len(shares))
    palette = {"financial": "#f2c14e", "social": "#4c72b0", "customisation": "#55a868", "structural": "#8172b2"}
    for col in shares.columns:
        vals = shares[col].fillna(0).to_numpy()
        ax.bar(x, vals, bottom=bottom, color=palette.get(col, "0.6"), label=col, width=0.7)
        for xi, b, v in zip(x, bottom, vals):
            if v >= 0.08:
                ax.annotate(f"{v:.0%}", (xi, b + v / 2), ha="center", va="center", fontsize=8, color="white")
        bottom += vals
    ax.set_xticks(x, list(shares.index))
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel("share of the stage's respondents")
    ax.set_title("The bond valued most, by loyalty stage")
    ax.legend(fontsize=9, bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)
