"""Recency, frequency and monetary value: the per-customer summary every model starts from.

The conventions are those of Fader, Hardie and Lee (2005a, 2005b), so their published estimates are
reproduced from raw transactions:

* transactions are aggregated to the calendar day (one purchase occasion per customer and day);
* ``frequency`` is the number of *repeat* purchase days (purchase days minus one);
* ``recency`` is the time from the first to the last purchase day, ``T`` the time from the first
  purchase day to the end of observation, both in the chosen ``unit``;
* ``monetary_value`` is the mean amount of the repeat purchase days (the first purchase is left
  out, as the Gamma-Gamma model requires); 0 for customers with no repeat purchase.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from crmlib._days import SUMMARY_COLUMNS, last_day, purchase_days, summary_from_days
from crmlib.data import DataError, check_canonical
from crmlib.params import (
    DateLike,
    ParameterError,
    check_choice,
    check_date,
    check_number,
    check_text,
    check_unit,
    unit_days,
)


def summarize(
    transactions: pd.DataFrame | str | os.PathLike,
    *,
    observation_end: DateLike | None = None,
    unit: str = "D",
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    r"""One row per customer: frequency, recency, T and monetary value.

    ``transactions`` may also be the path of a CSV or Parquet file (or a glob of them): the aggregation then
    runs out of core in DuckDB (:func:`crmlib.scale.summarize_file`, with the columns named by ``customer``,
    ``date`` and ``amount``; ISO dates), so a file larger than memory works, and the result is the same frame.

    Parameters
    ----------
    transactions : DataFrame
        The canonical frame of :func:`crmlib.data.read_transactions` (``customer_id``, ``date``,
        ``amount``). Several rows of one customer on one day count as one purchase occasion whose
        amount is their sum.
    observation_end : date-like, optional
        Last day of observation (inclusive). Transactions after it are left out. Default: the
        last date in the data.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``: days, weeks (7 days), months (30.4375 days), years (365.25 days).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (sorted); columns ``frequency`` (int, repeat purchase days),
        ``recency`` and ``T`` (float, in ``unit``) and ``monetary_value`` (mean amount of the
        repeat purchase days, 0 where ``frequency`` is 0). For customer :math:`i` with purchase
        days :math:`t_{i0} < t_{i1} < \dots < t_{ix}` and day amounts :math:`z_{ij}`:

        .. math::

            x_i = \text{days} - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad
            T_i = (\tau - t_{i0}) / u, \quad m_i = \frac{1}{x_i} \sum_{j=1}^{x_i} z_{ij}

        where :math:`\tau` is ``observation_end`` and :math:`u` the length of the unit in days.

    References
    ----------
    Fader, Hardie and Lee (2005a), section 2; Fader, Hardie and Lee (2005b), section 3.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> summarize(tx, observation_end="2024-01-29", unit="W")
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            20.0
    b                    0      0.0  3.0             0.0
    """
    func = "summarize"
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    if isinstance(transactions, (str, os.PathLike)):
        from crmlib.scale import summarize_file

        return summarize_file(transactions, customer=customer, date=date, amount=amount, observation_end=end, unit=unit)
    tx = check_canonical(transactions, func)
    if end is None:
        if len(tx) == 0:
            raise DataError("summarize: the transactions are empty; there is nothing to summarize.")
        end = last_day(tx)
    pdays = purchase_days(tx, end=end, func=func)
    return summary_from_days(pdays, end, unit)


def calibration_holdout(
    transactions: pd.DataFrame, *, calibration_end: DateLike, observation_end: DateLike | None = None, unit: str = "D"
) -> pd.DataFrame:
    r"""Summary of a calibration period plus what each customer did in the holdout period.

    Parameters
    ----------
    transactions : DataFrame
        The canonical frame (``customer_id``, ``date``, ``amount``).
    calibration_end : date-like
        Last day of the calibration period (inclusive). Only customers whose first purchase falls
        in the calibration period are kept (the cohort the models are fitted on).
    observation_end : date-like, optional
        Last day of the holdout period (inclusive); default the last date in the data.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    DataFrame
        The :func:`summarize` columns for the calibration period plus ``frequency_holdout``
        (purchase days in the holdout period, every one counts since none is a first purchase),
        ``monetary_value_holdout`` (mean amount of those days, 0 if none) and
        ``duration_holdout`` (:math:`(\tau_{end} - \tau_{cal}) / u`, the same for everyone).

    References
    ----------
    Fader, Hardie and Lee (2005a), section 4: calibration to week 39, holdout weeks 40 to 78.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-02-05", "2024-01-02"]),
    ...                    "amount": [10.0, 20.0, 30.0, 5.0]})
    >>> calibration_holdout(tx, calibration_end="2024-01-14", observation_end="2024-02-11", unit="W")[
    ...     ["frequency", "T", "frequency_holdout", "duration_holdout"]]
                 frequency         T  frequency_holdout  duration_holdout
    customer_id
    1                    1  1.857143                  1               4.0
    2                    0  1.714286                  0               4.0
    """
    func = "calibration_holdout"
    unit = check_unit(unit, func=func)
    cal_end = check_date(calibration_end, "calibration_end", func=func, allow_none=False)
    obs_end = check_date(observation_end, "observation_end", func=func)
    tx = check_canonical(transactions, func)
    if len(tx) == 0:
        raise DataError("calibration_holdout: the transactions are empty; there is nothing to summarize.")
    if obs_end is None:
        obs_end = last_day(tx)
    if obs_end <= cal_end:
        raise ParameterError(
            f"The 'observation_end' parameter of calibration_holdout must come after calibration_end "
            f"({cal_end.date()}). Got {obs_end.date()} instead; choose an earlier calibration_end."
        )
    first_date = last_day(tx, first=True)
    if cal_end < first_date:
        raise ParameterError(
            f"The 'calibration_end' parameter of calibration_holdout ({cal_end.date()}) comes before the "
            f"first transaction ({first_date.date()}); no customer is in the calibration period."
        )
    summary = summary_from_days(purchase_days(tx, end=cal_end, func=func), cal_end, unit)
    hold = purchase_days(tx, start=cal_end, end=obs_end, func=func)
    if len(hold.code):
        counts = pd.Series(np.bincount(hold.code, minlength=len(hold.customers)), index=hold.customers)
        sums = pd.Series(
            np.bincount(hold.code, weights=hold.amount, minlength=len(hold.customers)), index=hold.customers
        )
    else:
        counts = pd.Series(dtype=np.int64)
        sums = pd.Series(dtype=float)
    freq_h = counts.reindex(summary.index, fill_value=0).astype(np.int64)
    sum_h = sums.reindex(summary.index, fill_value=0.0)
    summary["frequency_holdout"] = freq_h.to_numpy()
    summary["monetary_value_holdout"] = np.where(freq_h > 0, sum_h / np.maximum(freq_h, 1), 0.0)
    summary["duration_holdout"] = (obs_end - cal_end).days / unit_days(unit)
    return summary


# ---------------------------------------------------------------------------------------------
# RFM scores and segments
# ---------------------------------------------------------------------------------------------

#: The default segment of every (R, FM) cell of the 5 x 5 RFM grid (R = recency score, FM = the
#: combined frequency-monetary score, both 1..5, 5 = best). The eleven segment names are those commonly
#: used in RFM practice (popularised by Putler's RFM guide); the kit fixes one cell-by-cell partition
#: of the grid so every customer gets exactly one segment. Replace it with your own mapping.
DEFAULT_SEGMENT_MAP: dict[tuple[int, int], str] = {
    # R = 5 (bought most recently)
    (5, 1): "New customers",
    (5, 2): "Potential loyalists",
    (5, 3): "Potential loyalists",
    (5, 4): "Champions",
    (5, 5): "Champions",
    # R = 4
    (4, 1): "Promising",
    (4, 2): "Potential loyalists",
    (4, 3): "Loyal customers",
    (4, 4): "Champions",
    (4, 5): "Champions",
    # R = 3
    (3, 1): "Promising",
    (3, 2): "Need attention",
    (3, 3): "Need attention",
    (3, 4): "Loyal customers",
    (3, 5): "Loyal customers",
    # R = 2
    (2, 1): "Hibernating",
    (2, 2): "About to sleep",
    (2, 3): "At risk",
    (2, 4): "At risk",
    (2, 5): "At risk",
    # R = 1 (longest since the last purchase)
    (1, 1): "Lost",
    (1, 2): "Hibernating",
    (1, 3): "At risk",
    (1, 4): "Can't lose them",
    (1, 5): "Can't lose them",
}

#: The segments of :data:`DEFAULT_SEGMENT_MAP` from best to worst, with who they are and what to do.
SEGMENT_DESCRIPTIONS: dict[str, str] = {
    "Champions": "bought recently, buy often and spend the most: reward them, ask for referrals and reviews",
    "Loyal customers": "buy often and spend well, a little less recently: up-sell, loyalty programme, ask for feedback",
    "Potential loyalists": "recent customers with average frequency and spend: membership offers, recommendations",
    "New customers": "bought very recently, once or rarely: onboarding, early support, build the relationship",
    "Promising": "fairly recent, low frequency and spend: create awareness, small offers to come back",
    "Need attention": "middling recency, frequency and spend: limited-time offers, recommendations from their history",
    "About to sleep": "below-average recency, frequency and spend: reactivate with relevant offers before they lapse",
    "At risk": "spent and bought well but not for a while: personal win-back messages, renewals, helpful content",
    "Can't lose them": "used to be among the best, no purchase for long: win them back, talk to them, do "
    "not lose them to a rival",
    "Hibernating": "last purchase long ago, little spend or few orders: a relevant offer, otherwise low priority",
    "Lost": "lowest recency, frequency and spend: revive only if it is cheap, otherwise let go",
}

_RFM_MONETARY = ("mean", "total")


def _scores_from_values(values: np.ndarray, bins: int) -> np.ndarray:
    """1 + floor(bins * (number of values strictly below) / n): equal values get equal scores."""
    n = len(values)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))  # position where each tie group starts
    below = np.empty(n, dtype=np.int64)
    below[order] = first
    return (1 + (bins * below) // n).astype(np.int64)


def rfm_scores(
    data: pd.DataFrame,
    *,
    bins: int = 5,
    observation_end: DateLike | None = None,
    unit: str = "D",
    monetary: str = "mean",
) -> pd.DataFrame:
    r"""RFM scores 1..``bins`` (quintiles by default) for recency, frequency and monetary value.

    Classic RFM analysis (Hughes 1994) ranks customers on three behaviours and cuts each ranking into
    ``bins`` equal groups, the best getting the highest score:

    * **recency**: time since the last purchase day, :math:`\tau - t_{last}` (shorter = better; note
      that it is *not* the ``recency`` column of :func:`summarize`, which is last minus first
      purchase: here ``T - recency``);
    * **frequency**: number of purchase days (first purchase included, same-day purchases merged);
    * **monetary**: mean amount per purchase day (``monetary="mean"``) or total amount
      (``"total"``), over all purchase days.

    Scores are rank-based and tie-aware. With :math:`n` customers and :math:`b` bins, a customer with
    value :math:`x` scores

    .. math::

        s(x) = 1 + \left\lfloor b \cdot \frac{\#\{j : x_j < x\}}{n} \right\rfloor

    (for recency the ranking is on :math:`-(\tau - t_{last})`). So equal values always get equal
    scores, and a score of *s* means at least :math:`(s-1)/b` of the customers have a strictly worse
    value. Consequences, stated:

    * when one value is shared by more than :math:`1/b` of the customers (typically the one-time
      buyers, frequency 1), they all get the score where their tie group *starts*, and the next value
      may skip a score: e.g. 45% one-time buyers all score F = 1, and the next customers score
      F = 3 (45% below them); F = 2 is then empty. Bins are equal-sized only without large ties;
    * all values equal: every customer scores 1;
    * fewer customers than bins: the scores are still percentiles, so not every score is used
      (3 customers with distinct values score 1, 2 and 4 out of 5).

    The result is deterministic and does not depend on the row order.

    Parameters
    ----------
    data : DataFrame
        Either the canonical transactions (``customer_id``, ``date``, ``amount``; preferred) or a
        :func:`summarize` frame (``frequency``, ``recency``, ``T``, ``monetary_value``). From a
        summary, frequency is ``frequency + 1`` and monetary is the summary's ``monetary_value``
        (repeat purchases only, 0 for one-time buyers) or, with ``"total"``,
        ``frequency * monetary_value``; recency is ``T - recency`` in the summary's unit.
    bins : int
        Number of score levels, 2 to 20 (5 = quintiles, 4 = quartiles).
    observation_end : date-like, optional
        With transactions: the day recency is measured to (inclusive; later transactions are left
        out). Default the last date in the data. Ignored with a summary.
    unit : {"D", "W", "M", "Y"}
        Unit of the ``recency`` column (transactions only).
    monetary : {"mean", "total"}
        Mean amount per purchase day, or total amount.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``recency`` (time since the last purchase, in ``unit``),
        ``frequency`` (purchase days), ``monetary``, the scores ``R``, ``F``, ``M`` (int
        1..``bins``), ``FM`` (:math:`\lfloor (F + M + 1) / 2 \rfloor`, their mean rounded half up) and
        ``rfm`` (text such as ``"545"``; ``"10-3-7"`` when ``bins`` is 10 or more).

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus (RFM quintile coding).
    Fader, Hardie and Lee (2005b), section 2 (RFM as the sufficient statistics of the models).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "c"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01",
    ...                                            "2024-01-05", "2024-02-10", "2024-03-30"]),
    ...                    "amount": [10.0, 30.0, 5.0, 20.0, 20.0, 50.0]})
    >>> rfm_scores(tx, bins=3)[["recency", "frequency", "monetary", "R", "F", "M", "rfm"]]
                 recency  frequency  monetary  R  F  M  rfm
    customer_id
    a               29.0          2      20.0  2  2  2  222
    b               58.0          1       5.0  1  1  1  111
    c                0.0          3      30.0  3  3  3  333
    """
    func = "rfm_scores"
    bins = check_number(bins, "bins", func=func, low=2, high=20, integer=True)
    monetary = check_choice(monetary, "monetary", _RFM_MONETARY, func=func)
    unit = check_unit(unit, func=func)
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"{func} needs a DataFrame: the transactions (customer_id, date, amount) or the output of "
            f"crmlib.rfm.summarize; got {type(data).__name__}."
        )
    if set(SUMMARY_COLUMNS) <= set(data.columns):
        if len(data) == 0:
            raise DataError(f"{func}: the summary is empty; there is no customer to score.")
        freq = data["frequency"].to_numpy(dtype=float)
        rec = (data["T"] - data["recency"]).to_numpy(dtype=float)
        mon = data["monetary_value"].to_numpy(dtype=float)
        if monetary == "total":
            mon = freq * mon
        frequency = (freq + 1).astype(np.int64)
        index = pd.Index(data.index, name="customer_id")
    else:
        end = check_date(observation_end, "observation_end", func=func)
        tx = check_canonical(data, func)
        if len(tx) == 0:
            raise DataError(f"{func}: the transactions are empty; there is no customer to score.")
        if end is None:
            end = tx["date"].max().normalize()
        pdays = purchase_days(tx, end=end, func=func)
        if len(pdays.code) == 0:
            raise DataError(f"{func}: no transaction on or before observation_end ({end.date()}); nothing to score.")
        n = len(pdays.customers)
        counts = np.bincount(pdays.code, minlength=n)
        keep = counts > 0
        totals = np.bincount(pdays.code, weights=pdays.amount, minlength=n)
        last = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(last, pdays.code, pdays.day)
        end_day = np.datetime64(end.date(), "D").astype(np.int64)
        rec = ((end_day - last) / unit_days(unit))[keep]
        frequency = counts[keep].astype(np.int64)
        mon = (totals / np.maximum(counts, 1))[keep] if monetary == "mean" else totals[keep]
        index = pd.Index(pdays.customers[keep], name="customer_id")
    if np.isnan(rec).any() or np.isnan(mon).any():
        rows = list(index[np.isnan(rec) | np.isnan(mon)][:5])
        raise DataError(f"{func}: recency or monetary value is missing for customers {rows}; fill or drop them first.")
    r_score = _scores_from_values(-rec, bins)
    f_score = _scores_from_values(frequency.astype(float), bins)
    m_score = _scores_from_values(mon, bins)
    fm = (f_score + m_score + 1) // 2
    out = pd.DataFrame(
        {
            "recency": rec.astype(float),
            "frequency": frequency,
            "monetary": mon.astype(float),
            "R": r_score,
            "F": f_score,
            "M": m_score,
            "FM": fm,
        },
        index=index,
    )
    if bins <= 9:
        out["rfm"] = pd.Series(r_score * 100 + f_score * 10 + m_score, index=index).astype(str)
    else:
        out["rfm"] = (
            pd.Series(r_score, index=index).astype(str)
            + "-"
            + pd.Series(f_score, index=index).astype(str)
            + "-"
            + pd.Series(m_score, index=index).astype(str)
        )
    out.attrs["bins"] = bins
    out.attrs["monetary"] = monetary
    return out


def rfm_segments(
    scores: pd.DataFrame,
    segment_map: dict[tuple[int, int], str] | None = None,
    *,
    unmapped: str = "Other",
) -> pd.DataFrame:
    r"""Name each customer's RFM segment from the recency score R and the combined score FM.

    The segment of a customer is ``segment_map[(R, FM)]``, with
    :math:`FM = \lfloor (F + M + 1)/2 \rfloor` from :func:`rfm_scores`. The default map
    (:data:`DEFAULT_SEGMENT_MAP`, for 5 bins) partitions the 5 x 5 grid into the eleven segments
    commonly used in practice (Champions, Loyal customers, Potential loyalists, New customers,
    Promising, Need attention, About to sleep, At risk, Can't lose them, Hibernating, Lost); see
    :data:`SEGMENT_DESCRIPTIONS` for who they are and what to do.

    Parameters
    ----------
    scores : DataFrame
        From :func:`rfm_scores` (needs the columns ``R`` and ``FM``).
    segment_map : dict, optional
        ``{(R, FM): segment name}``; default :data:`DEFAULT_SEGMENT_MAP`. A partial map is allowed:
        cells it leaves out get ``unmapped``.
    unmapped : str
        Segment of customers whose (R, FM) cell is not in ``segment_map``.

    Returns
    -------
    DataFrame
        A copy of ``scores`` with a ``segment`` column (ordered categorical: for the default map the
        order of :data:`SEGMENT_DESCRIPTIONS`, best to worst; otherwise the map's segments in their
        order of first appearance; then ``unmapped`` if used).

    References
    ----------
    Hughes (1994) for RFM cells; the segment names follow common RFM practice (e.g. Putler's RFM
    analysis guide, which uses R against a combined FM score).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"R": [5, 1, 3], "FM": [5, 5, 2]}, index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> rfm_segments(s)["segment"].tolist()
    ['Champions', "Can't lose them", 'Need attention']
    >>> rfm_segments(s, {(5, 5): "Best"})["segment"].tolist()
    ['Best', 'Other', 'Other']
    """
    func = "rfm_segments"
    if not isinstance(scores, pd.DataFrame) or not {"R", "FM"} <= set(scores.columns):
        raise DataError(f"{func} needs the scores of crmlib.rfm.rfm_scores (columns R and FM).")
    unmapped = check_text(unmapped, "unmapped", func=func)
    segment_map = _checked_segment_map(scores, segment_map, func)
    r = scores["R"].to_numpy(dtype=np.int64)
    fm = scores["FM"].to_numpy(dtype=np.int64)
    width = int(fm.max()) + 1 if len(fm) else 1
    cells, inverse = np.unique(r * width + fm, return_inverse=True)
    cell_labels = [segment_map.get((int(c // width), int(c % width)), unmapped) for c in cells]
    # the order of the categories: best to worst for the default map, else the map's order; then `unmapped`
    order = (
        list(SEGMENT_DESCRIPTIONS) if segment_map is DEFAULT_SEGMENT_MAP else list(dict.fromkeys(segment_map.values()))
    )
    if unmapped in cell_labels and unmapped not in order:
        order.append(unmapped)
    position = {name: i for i, name in enumerate(order)}
    codes = np.array([position[name] for name in cell_labels], dtype=np.int64)[inverse.ravel()]
    out = scores.copy()
    out["segment"] = pd.Categorical.from_codes(codes, categories=order, ordered=True)
    return out


def _checked_segment_map(
    scores: pd.DataFrame, segment_map: dict[tuple[int, int], str] | None, func: str
) -> dict[tuple[int, int], str]:
    """The segment map to use: the default (only for 5-bin scores) or the user's, checked."""
    if segment_map is None:
        top = int(max(scores["R"].max(), scores["FM"].max())) if len(scores) else 5
        bins = scores.attrs.get("bins", top)
        if bins != 5 or top > 5:
            raise ParameterError(
                f"The default segment map of {func} is for 5 bins (quintile scores); these scores use "
                f"{bins} bins. Score with rfm_scores(..., bins=5) or pass your own segment_map={{(R, FM): name}}."
            )
        return DEFAULT_SEGMENT_MAP
    if not isinstance(segment_map, dict) or not all(
        isinstance(k, tuple) and len(k) == 2 and isinstance(v, str) for k, v in segment_map.items()
    ):
        raise ParameterError(
            f"The 'segment_map' parameter of {func} must be a dict {{(R, FM): segment name}}, e.g. "
            f"{{(5, 5): 'Champions'}}. Got {segment_map!r} instead."
        )
    return segment_map


def rfm_segment_summary(segmented: pd.DataFrame) -> pd.DataFrame:
    r"""One row per RFM segment: size, share and mean recency, frequency and monetary value.

    For segment :math:`g` with customers :math:`C_g` out of :math:`n`: ``customers`` :math:`|C_g|`,
    ``share`` :math:`|C_g| / n`, the means of ``recency``, ``frequency`` and ``monetary``, and
    ``revenue_share``, the segment's share of :math:`\sum_i f_i m_i` (purchase days times mean amount
    = total spend with ``monetary="mean"``; with ``"total"`` the monetary column is summed directly).

    Parameters
    ----------
    segmented : DataFrame
        From :func:`rfm_segments`.

    Returns
    -------
    DataFrame
        Index ``segment`` (in the map's order; empty segments left out); columns ``customers``,
        ``share``, ``recency``, ``frequency``, ``monetary``, ``revenue_share``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"recency": [1.0, 3.0, 90.0], "frequency": [5, 4, 1], "monetary": [20.0, 30.0, 10.0],
    ...                   "R": [5, 5, 1], "FM": [5, 5, 1]})
    >>> rfm_segment_summary(rfm_segments(s))[["customers", "share", "revenue_share"]].round(3)
               customers  share  revenue_share
    segment
    Champions          2  0.667          0.957
    Lost               1  0.333          0.043
    """
    func = "rfm_segment_summary"
    needed = {"segment", "recency", "frequency", "monetary"}
    if not isinstance(segmented, pd.DataFrame) or not needed <= set(segmented.columns):
        raise DataError(f"{func} needs the output of crmlib.rfm.rfm_segments (columns {', '.join(sorted(needed))}).")
    total_is_monetary = segmented.attrs.get("monetary") == "total"
    revenue = segmented["monetary"] if total_is_monetary else segmented["frequency"] * segmented["monetary"]
    frame = segmented.assign(_revenue=revenue)
    g = frame.groupby("segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "recency": g["recency"].mean(),
            "frequency": g["frequency"].mean(),
            "monetary": g["monetary"].mean(),
            "revenue": g["_revenue"].sum(),
        }
    )
    out.insert(1, "share", out["customers"] / out["customers"].sum())
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
    out = out.drop(columns="revenue")
    out.index = pd.Index([str(i) for i in out.index], name="segment")
    return out


def rfm_segment_grid(segment_map: dict[tuple[int, int], str] | None = None, *, bins: int = 5) -> pd.DataFrame:
    """The segment map drawn as a grid: rows R (best first), columns FM, cells the segment name.

    Parameters
    ----------
    segment_map : dict, optional
        ``{(R, FM): segment name}``; default :data:`DEFAULT_SEGMENT_MAP`.
    bins : int
        Number of score levels (the grid is ``bins`` x ``bins``; 5 for the default map).

    Returns
    -------
    DataFrame
        Index ``R`` from ``bins`` down to 1, columns ``FM`` from 1 to ``bins``; cells not in the map
        are empty strings.

    Examples
    --------
    >>> grid = rfm_segment_grid()
    >>> grid.loc[5, 5], grid.loc[1, 1]
    ('Champions', 'Lost')
    """
    bins = check_number(bins, "bins", func="rfm_segment_grid", low=2, high=20, integer=True)
    segment_map = DEFAULT_SEGMENT_MAP if segment_map is None else segment_map
    rows = range(bins, 0, -1)
    cols = range(1, bins + 1)
    grid = pd.DataFrame(
        [[segment_map.get((r, f), "") for f in cols] for r in rows],
        index=pd.Index(list(rows), name="R"),
        columns=pd.Index(list(cols), name="FM"),
    )
    return grid
