"""The chapters' parameters, checked in one place, and the reading of the log a chapter works on.

Every chapter starts with a ``parameters`` cell (papermill and ``crmlib run -p name=value`` replace its values)
followed by one call::

    tx = crmlib.chapter.setup(globals())

:func:`setup` checks every parameter of the cell against :data:`PARAMETERS`, the kit's one table of chapter
parameters (one name, one meaning, one default and one range each, shared by every chapter and, for the names
they share, by ``crmlib report``), writes the checked values back (a whole number as ``int``, a date as a
``Timestamp``), and reads the log: the bundled simulated retailer when ``data_path`` is ``None``, otherwise the
user's file through :func:`crmlib.data.read_transactions` with the reader's options in ``read_options`` (a dict
of :class:`crmlib.data.ReadOptions` fields; ``crmlib run --customer ... --date-format ...`` fills it). It sets
``bundled`` (``True`` on the bundled log) in the chapter's namespace and prints one line saying what was read,
so a chapter on a user's file can label anything simulated as such.

A bad value stops the chapter with one sentence naming the parameter, its range and the value given
(:class:`crmlib.params.ParameterError`); a file the reader refuses stops it with the reader's message, its
options named as keys of ``read_options``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmlib import params

if TYPE_CHECKING:  # pandas is imported by setup: `import crmlib.chapter` stays light
    import pandas as pd

__all__ = ["PARAMETERS", "Parameter", "check_parameters", "setup"]


@dataclass(frozen=True)
class Parameter:
    """One chapter parameter: its default, what it means (with unit and range) and its check.

    Parameters
    ----------
    default : the value of every chapter's ``parameters`` cell.
    help : what it means, with its unit and range, in words.
    check : ``check(value, name)`` returns the checked value or raises :class:`crmlib.params.ParameterError`.
    """

    default: Any
    help: str
    check: Callable[[Any, str], Any] = field(repr=False)


def _number(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    optional: bool = False,
) -> Callable[[Any, str], Any]:
    def check(value: Any, name: str) -> Any:
        if optional and value is None:
            return None
        return params.check_number(
            value,
            name,
            low=low,
            high=high,
            low_open=low_open,
            high_open=high_open,
            integer=integer,
            hint="(None: see the parameter's comment.)" if optional else "",
        )

    return check


def _choice(*choices: Any) -> Callable[[Any, str], Any]:
    return lambda value, name: params.check_choice(value, name, choices)


def _unit(value: Any, name: str) -> str:
    return params.check_unit(value, name)


def _date(value: Any, name: str) -> Any:
    return params.check_date(value, name)


def _path(value: Any, name: str) -> Any:
    return params.check_path(value, name)


def _text_or_none(value: Any, name: str) -> Any:
    return None if value is None else params.check_text(value, name)


def _texts_or_none(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise params.ParameterError(
            f"The {name!r} parameter must be a list of column names, such as ['complaints', 'tenure'], or None. "
            f"Got {value!r} instead."
        )
    return [params.check_text(v, name) for v in value]


def _flag(value: Any, name: str) -> bool:
    return bool(params.check_choice(value, name, (True, False)))


def _seed(value: Any, name: str) -> int:
    return int(params.check_number(value, name, low=0, high=2**32 - 1, integer=True))


def _read_options(value: Any, name: str) -> dict[str, Any]:
    from crmlib.data import ReadOptions

    if not isinstance(value, Mapping):
        raise params.ParameterError(
            f"The {name!r} parameter must be a dict of the reader's options, such as {{'customer': 'CustomerID', "
            f"'date_format': '%d/%m/%Y'}}. Got {value!r} instead."
        )
    unknown = sorted(set(value) - set(ReadOptions.__dataclass_fields__))
    if unknown:
        known = ", ".join(ReadOptions.__dataclass_fields__)
        raise params.ParameterError(
            f"The {name!r} parameter has no option {unknown[0]!r}; the reader's options are: {known}."
        )
    ReadOptions(**value)  # the reader's own checks (an OptionError, which is a ParameterError)
    return dict(value)


#: The kit's one table of chapter parameters: name -> :class:`Parameter`. A chapter's ``parameters`` cell uses
#: only these names, each with this default (``tests/test_chapter_structure.py`` checks it).
PARAMETERS: dict[str, Parameter] = {
    # --- the data
    "data_path": Parameter(
        None, "path of a transaction file (CSV, .csv.gz, Parquet, Excel); None: the bundled simulated log", _path
    ),
    "read_options": Parameter(
        {},
        "the reader's options for that file, as a dict (keys of "
        "crmlib.data.ReadOptions: customer, date, amount, quantity, price, invoice, "
        "date_format, returns, blank_customers, sheet, ...)",
        _read_options,
    ),
    # --- time and money, shared with crmlib report
    "unit": Parameter("W", "time unit of the models' durations: 'D' days, 'W' weeks, 'M' months, 'Y' years", _unit),
    "calibration_end": Parameter(
        None, "last day of the models' calibration period ('YYYY-MM-DD'); None: two thirds into the log", _date
    ),
    "margin_rate": Parameter(
        0.3, "gross margin, the share of revenue the firm keeps, in (0, 1]", _number(0, 1, low_open=True)
    ),
    "discount_rate": Parameter(0.10, "discount rate per year, in [0, 1)", _number(0, 1, high_open=True)),
    "horizon_months": Parameter(
        12,
        "months of future purchases counted in the CLV and the customer equity, in (0, 120]",
        _number(0, 120, low_open=True),
    ),
    "horizon_years": Parameter(
        3, "years of today's behaviour counted in the current value, a whole number 1-50", _number(1, 50, integer=True)
    ),
    "penalizer": Parameter(
        0.0, "L2 penalty on the model parameters, in [0, 10] (0: plain maximum likelihood)", _number(0, 10)
    ),
    "retention": Parameter(
        None,
        "share of customers kept from one year to the next, in [0, 1); None: measured on the log",
        _number(0, 1, high_open=True, optional=True),
    ),
    "cost_per_purchase": Parameter(2.0, "cost of serving one purchase occasion (money, 0 or more)", _number(0)),
    "acquisition_cost": Parameter(
        0.0,
        "cost of winning one customer on a user's file (money, 0 or more); the bundled data has each customer's own",
        _number(0),
    ),
    # --- lifecycle and churn
    "lapse_days": Parameter(
        180,
        "days without a purchase after which a customer counts as lapsed (churned), a whole number 1 or more",
        _number(1, integer=True),
    ),
    "long_term_days": Parameter(
        365,
        "tenure in days from which an active repeat buyer is long-term, a whole number 1 or more",
        _number(1, integer=True),
    ),
    "p_alive_risk": Parameter(
        0.5,
        "a customer whose P(alive) is below this is at risk, in (0, 1)",
        _number(0, 1, low_open=True, high_open=True),
    ),
    "holdout_tolerance": Parameter(
        0.25,
        "largest relative error of the holdout forecast for a trusted model, in (0, 1]",
        _number(0, 1, low_open=True),
    ),
    "interval_draws": Parameter(
        30, "refits on resampled customers for the CLV intervals, 0 (none) or 10 to 500", _number(0, 500, integer=True)
    ),
    "seed": Parameter(0, "seed of the resampling for the CLV intervals (a whole number)", _seed),
    "success_rate": Parameter(
        0.30, "retention campaign: share of contacted would-be churners kept, in [0, 1] (an assumption)", _number(0, 1)
    ),
    "contact_cost": Parameter(
        1.0, "retention campaign: cost of one contact (money, 0 or more; an assumption)", _number(0)
    ),
    "incentive_cost": Parameter(
        5.0,
        "retention campaign: cost of the offer to a customer who takes it (money, 0 or more; an assumption)",
        _number(0),
    ),
    "period": Parameter(
        "M", "churn rate per calendar 'M' (month), 'Q' (quarter) or 'Y' (year)", _choice("M", "Q", "Y")
    ),
    "churn_points": Parameter(
        5, "value of up to this many percentage points less churn per year (1-50)", _number(1, 50, integer=True)
    ),
    # --- tiers
    "vip_share": Parameter(
        0.01, "pyramid: share of customers in the VIP tier, in (0, 1)", _number(0, 1, low_open=True, high_open=True)
    ),
    "major_share": Parameter(0.04, "pyramid: share in the major tier, in [0, 1)", _number(0, 1, high_open=True)),
    "common_share": Parameter(
        0.15, "pyramid: share in the common tier, in [0, 1); minor takes the rest", _number(0, 1, high_open=True)
    ),
    "pareto_share": Parameter(
        0.2,
        "the 'top x' of the 80/20 question (share of customers), in (0, 1)",
        _number(0, 1, low_open=True, high_open=True),
    ),
    "current_threshold": Parameter(
        None,
        "value-potential matrix: where high current value starts (money per year); None: the kit's rule",
        _number(optional=True),
    ),
    "potential_threshold": Parameter(
        None,
        "value-potential matrix: where high potential value starts (money); None: the kit's rule",
        _number(optional=True),
    ),
    "period_days": Parameter(
        365,
        "length of each of the two periods compared for tier migration (days, 30 to 3650)",
        _number(30, 3650, integer=True),
    ),
    "rfm_bins": Parameter(5, "RFM score levels (5 for quintiles), 2 to 10", _number(2, 10, integer=True)),
    # --- dynamics
    "stage_freq": Parameter("M", "stage counts at each month (M), quarter (Q) or year (Y) end", _choice("M", "Q", "Y")),
    "cohort_period": Parameter(
        "M", "acquisition cohorts by month (M), quarter (Q) or year (Y)", _choice("M", "Q", "Y")
    ),
    "tenure_unit": Parameter("M", "unit of tenure for order value by tenure: D, W, M or Y", _unit),
    "max_tenure": Parameter(24, "longest tenure shown (in tenure_unit, 1 to 600)", _number(1, 600, integer=True)),
    "exploration_purchases": Parameter(
        2,
        "relationship phases: purchase days up to which a customer is exploring (1 or more)",
        _number(1, integer=True),
    ),
    "decline_ratio": Parameter(
        0.5,
        "relationship phases: buying below this share of the previous window counts as decline, in (0, 1)",
        _number(0, 1, low_open=True, high_open=True),
    ),
    "reactivation_top": Parameter(
        15, "how many re-activation candidates to list (1 to 500)", _number(1, 500, integer=True)
    ),
    # --- loyalty (survey)
    "stage_threshold": Parameter(
        5.0, "stage rule: score that counts as holding a stage (scale points, 1-7)", _number(1, 7)
    ),
    "stage_rule": Parameter(
        "cumulative",
        "'cumulative' (stages in sequence) or 'highest' (the highest-scoring stage)",
        _choice("cumulative", "highest"),
    ),
    "missing": Parameter(
        "listwise", "missing answers in Cronbach's alpha: 'listwise' or 'pairwise'", _choice("listwise", "pairwise")
    ),
    "min_answers": Parameter(
        0.5, "least share of a stage's items answered for a stage score, in (0, 1]", _number(0, 1, low_open=True)
    ),
    "attitude_threshold": Parameter(
        5.0,
        "brand vs deal loyalty: attitude score from which a customer is attitudinally loyal (scale points, 1-7)",
        _number(1, 7),
    ),
    "value_received": Parameter(
        100.0, "value-gap illustration: value the customer gets from us (money per year, 0 or more)", _number(0)
    ),
    "switching_cost": Parameter(
        30.0, "value-gap illustration: cost of switching to another supplier (money, 0 or more)", _number(0)
    ),
    "reward_rate": Parameter(
        0.02,
        "loyalty programme: cost of rewards as a share of member revenue, in [0, 1)",
        _number(0, 1, high_open=True),
    ),
    "running_cost": Parameter(3000.0, "loyalty programme: fixed running cost (money per year, 0 or more)", _number(0)),
    "spend_lift": Parameter(
        0.05, "loyalty programme: assumed rise of member spend (share, above -1)", _number(-1, low_open=True)
    ),
    "retention_lift": Parameter(
        0.02, "loyalty programme: assumed extra share of members kept through the year, in [-1, 1]", _number(-1, 1)
    ),
    # --- relationship-marketing types (the firm survey)
    "survey_seed": Parameter(2, "seed of the simulated firm survey (a whole number)", _seed),
    "n_firms": Parameter(200, "number of simulated firms (10-5000)", _number(10, 5000, integer=True)),
    "pluralistic_share": Parameter(
        0.3, "share of simulated firms practising two types at once, in [0, 1]", _number(0, 1)
    ),
    "pluralistic_gap": Parameter(
        0.5,
        "a firm is pluralistic if its top two type scores differ by less than this (scale points, 0-3)",
        _number(0, 3),
    ),
    "include_e_marketing": Parameter(False, "add e-marketing as a fifth type (True/False)", _flag),
    "top_share": Parameter(
        0.2,
        "database lens: share of customers flagged as top customers, in (0, 1)",
        _number(0, 1, low_open=True, high_open=True),
    ),
    "min_purchases": Parameter(
        4, "interaction lens: purchase days that count as repeated contact (2 or more)", _number(2, integer=True)
    ),
    "min_tenure_days": Parameter(
        365,
        "interaction lens: first-to-last purchase span that counts as a long relationship (days, 1 or more)",
        _number(1, integer=True),
    ),
    "member_purchases": Parameter(
        2, "membership: purchase days that make a customer a member (2 or more)", _number(2, integer=True)
    ),
    "membership_unit": Parameter("M", "time unit of the membership curve: D, W, M or Y", _unit),
    # --- worked examples (numbers of a textbook example, not of the data)
    "example_margin": Parameter(100.0, "worked examples: a customer's margin per year (money, 0 or more)", _number(0)),
    "example_retention": Parameter(
        0.80,
        "worked examples: share of customers kept from one year to the next, in [0, 1)",
        _number(0, 1, high_open=True),
    ),
    "example_years": Parameter(
        10, "worked examples: years counted by the finite-horizon CLV (1-100)", _number(1, 100, integer=True)
    ),
    "example_acquisition_cost": Parameter(
        150.0, "worked examples: cost of winning one customer (money, 0 or more)", _number(0)
    ),
    "margin_growth": Parameter(
        0.05, "worked examples: growth of the margin per year of tenure, above -1", _number(-1, low_open=True)
    ),
    "clv_period": Parameter("Y", "period of the CLV sums on the data: 'Y' (years) or 'M' (months)", _choice("Y", "M")),
    # --- churn drivers
    "driver_seed": Parameter(8, "seed of the simulated churn-driver data (a whole number)", _seed),
    "customers_path": Parameter(
        None,
        "a user's customer file (CSV, Parquet, Excel) with one row per customer: "
        "attributes and, optionally, a churn flag; None: the driver section is "
        "illustrative on a user's log",
        _path,
    ),
    "churn_col": Parameter(
        None, "column of the churn flag (0/1, yes/no) in customers_path; None: no flag", _text_or_none
    ),
    "customers_id_col": Parameter("customer_id", "column of the customer id in customers_path", params.check_text),
    "driver_cols": Parameter(None, "list of driver columns of customers_path; None: every numeric one", _texts_or_none),
    # --- outputs
    "tables_dir": Parameter(None, "folder for the chapter's CSV tables; None: none written", _text_or_none),
}


def _cross_checks(values: Mapping[str, Any]) -> None:
    shares = ("vip_share", "major_share", "common_share")
    if all(name in values for name in shares):
        params.check_number(
            sum(values[name] for name in shares),
            "vip_share + major_share + common_share",
            low=0,
            high=1,
            high_open=True,
            hint="The minor tier needs the rest of the customers.",
        )


def check_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    """The chapter parameters among ``values``, checked: name -> checked value.

    Names that are not in :data:`PARAMETERS` are left out (a chapter's namespace holds other names too).

    Parameters
    ----------
    values : mapping
        A chapter's namespace (``globals()``), or any mapping of parameter names to values.

    Returns
    -------
    dict
        The checked value of each parameter found, in the table's order.

    Raises
    ------
    crmlib.params.ParameterError
        One sentence naming the first parameter out of its range.

    Examples
    --------
    >>> check_parameters({"margin_rate": 0.25, "horizon_years": 3.0, "np": None})
    {'margin_rate': 0.25, 'horizon_years': 3}
    >>> check_parameters({"margin_rate": 1.5})
    Traceback (most recent call last):
    ...
    crmlib.params.ParameterError: The 'margin_rate' parameter must be a number in (0, 1]. Got 1.5 instead.
    """
    checked = {name: spec.check(values[name], name) for name, spec in PARAMETERS.items() if name in values}
    _cross_checks(checked)
    return checked


def setup(namespace: MutableMapping[str, Any]) -> pd.DataFrame:
    """Check a chapter's parameters and read its log: the one call after the ``parameters`` cell.

    Parameters
    ----------
    namespace : mutable mapping
        The chapter's ``globals()``. Its parameters are replaced by their checked values, and ``bundled`` is set:
        ``True`` when the chapter runs on the bundled simulated log, ``False`` on a user's file.

    Returns
    -------
    DataFrame
        The transactions, ``customer_id`` (str), ``date`` (datetime64, day), ``amount`` (float): the bundled log
        (its ``attrs["true_params"]`` hold the generator's truth) or the user's file read with ``read_options``.

    Raises
    ------
    crmlib.params.ParameterError
        A parameter out of its range (one sentence naming it).
    crmlib.data.DataError
        The user's file cannot be read as a transaction log (the reader's message, with the fix).

    Examples
    --------
    >>> ns = {"data_path": None, "read_options": {}, "margin_rate": 0.3}
    >>> tx = setup(ns)  # doctest: +ELLIPSIS
    Data: the bundled simulated log (simulated for teaching): ... purchases by ... customers, 2021-01-01 to ...
    >>> ns["bundled"], list(tx.columns)
    (True, ['customer_id', 'date', 'amount'])
    """
    checked = check_parameters(namespace)
    namespace.update(checked)
    path = checked.get("data_path")
    namespace["bundled"] = path is None
    if path is None:
        from crmlib.datasets import load_transactions

        tx = load_transactions()
        where = "the bundled simulated log (simulated for teaching)"
    else:
        from crmlib.data import DataError, ReadOptions, read_transactions

        try:
            tx = read_transactions(path, options=ReadOptions(**checked.get("read_options", {})))
        except DataError as exc:
            raise DataError(exc.render("chapter").replace("read_transactions: ", "", 1)) from None
        where = f"your file {path.name!r}"
    first, last = tx["date"].min(), tx["date"].max()
    span = "no purchase" if tx.empty else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    print(f"Data: {where}: {len(tx):,} purchases by {tx['customer_id'].nunique():,} customers, {span}.")
    return tx
