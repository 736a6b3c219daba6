"""A SIMULATED survey of firms' marketing practices, laid out like the Contemporary Marketing Practices instrument.

The Contemporary Marketing Practices (CMP) programme (Coviello, Brodie, Danaher and Johnston 2002;
reviewed by Brodie, Coviello and Winklhofer 2008) asks managers, for each of nine dimensions of
marketing practice, how well one statement per marketing type describes their firm. This generator
draws such answers for firms whose type is known, so that the classification of
:func:`crmlib.relationship.classify_firms` can be checked against the truth. **No firm answered it.**
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.params import ParameterError, check_number

# The survey's layout belongs to the analysis that reads it (crmlib.relationship); the generator follows it.
from crmlib.relationship import CMP_DIMENSIONS, MARKETING_TYPES, TYPE_CODES, firm_item

__all__ = ["CMP_DIMENSIONS", "MARKETING_TYPES", "TYPE_CODES", "make_firm_survey", "firm_item"]

def make_firm_survey(
    n_firms: int = 200,
    *,
    seed: int = 0,
    types: tuple[str, ...] = MARKETING_TYPES[:4],
    pluralistic_share: float = 0.3,
    type_shares: dict[str, float] | None = None,
    high: float = 5.5,
    low: float = 3.0,
    style_sd: float = 0.5,
    noise_sd: float = 1.0,
) -> pd.DataFrame:
    r"""Draw a SIMULATED CMP-style survey: one row per firm, one 1-7 item per dimension and marketing type.

    Each firm practises one type (a *pure* firm) or, with probability ``pluralistic_share``, two
    types at once (a *pluralistic* firm, which CMP found common). For firm *f*, dimension *d* and type *t*:

    .. math::

        y_{fdt} = \operatorname{clip}_{[1,7]}\operatorname{round}\big(\mu_{ft} + u_f + \varepsilon_{fdt}\big),
        \quad u_f \sim N(0, \sigma_u^2),\ \varepsilon_{fdt} \sim N(0, \sigma^2)

    where :math:`\mu_{ft}` = ``high`` for the type(s) the firm practises and ``low`` otherwise, and
    :math:`u_f` is the firm's response style (some managers agree with everything).

    Parameters
    ----------
    n_firms : int
        Number of firms (>= 1).
    seed : int
        Seed of the random generator.
    types : tuple of str
        The marketing types asked about (default the four of Coviello, Brodie and Munro 1997; add
        ``"e-marketing"`` for Lindgreen et al.'s fifth).
    pluralistic_share : float in [0, 1]
        Share of firms practising two types.
    type_shares : dict, optional
        Probability of each type as the (first) type; default equal.
    high, low : float
        Mean answer to the items of a practised / a not practised type, on the 1-7 scale.
    style_sd, noise_sd : float
        :math:`\sigma_u` and :math:`\sigma`.

    Returns
    -------
    DataFrame
        Index ``firm_id``; item columns ``<dimension>_<code>`` (see :func:`firm_item`, :data:`CMP_DIMENSIONS`);
        ``true_type`` (the type, or ``"pluralistic"``), ``true_types`` (e.g. ``"database+interaction"``).
        ``attrs["true_params"]`` holds every argument; ``attrs["simulated"]`` is True.

    References
    ----------
    Coviello, Brodie and Munro (1997); Coviello, Brodie, Danaher and Johnston (2002), *Journal of
    Marketing* 66(3), 33-46; Brodie, Coviello and Winklhofer (2008), *Journal of Business & Industrial
    Marketing* 23(2), 84-94.

    Examples
    --------
    >>> s = make_firm_survey(10, seed=1)
    >>> s.shape
    (10, 38)
    >>> s.attrs["simulated"]
    True
    """
    n_firms = int(check_number(n_firms, "n_firms", func="make_firm_survey", low=1, integer=True))
    pluralistic_share = check_number(pluralistic_share, "pluralistic_share", func="make_firm_survey", low=0, high=1)
    for name, v in (("high", high), ("low", low)):
        check_number(v, name, func="make_firm_survey", low=1, high=7)
    style_sd = check_number(style_sd, "style_sd", func="make_firm_survey", low=0)
    noise_sd = check_number(noise_sd, "noise_sd", func="make_firm_survey", low=0)
    types = tuple(types)
    unknown = [t for t in types if t not in TYPE_CODES]
    if unknown or len(types) < 2:
        raise ParameterError(
            f"The 'types' parameter of make_firm_survey must list at least two of {', '.join(MARKETING_TYPES)}. "
            f"Got {types!r} instead."
        )
    if type_shares is None:
        p = np.full(len(types), 1 / len(types))
    else:
        missing = [t for t in types if t not in type_shares]
        if missing or any(v < 0 for v in type_shares.values()) or sum(type_shares[t] for t in types) <= 0:
            raise ParameterError(
                "The 'type_shares' parameter of make_firm_survey must give a share >= 0 to each of "
                f"{', '.join(types)}. "
                f"Got {type_shares!r} instead."
            )
        p = np.array([type_shares[t] for t in types], dtype=float)
        p = p / p.sum()
    rng = np.random.default_rng(seed)
    k = len(types)
    first = rng.choice(k, size=n_firms, p=p)
    plural = rng.random(n_firms) < pluralistic_share
    # the second type: uniform among the others
    offset = rng.integers(1, k, size=n_firms)
    second = (first + offset) % k
    mu = np.full((n_firms, k), float(low))
    mu[np.arange(n_firms), first] = high
    mu[np.arange(n_firms)[plural], second[plural]] = high
    style = rng.normal(0.0, style_sd, size=(n_firms, 1))
    columns = {}
    for d in CMP_DIMENSIONS:
        y = mu + style + rng.normal(0.0, noise_sd, size=(n_firms, k))
        y = np.clip(np.rint(y), 1, 7).astype(int)
        for j, t in enumerate(types):
            columns[firm_item(d, t)] = y[:, j]
    out = pd.DataFrame(columns, index=pd.Index([f"F{i + 1:04d}" for i in range(n_firms)], name="firm_id"))
    names = np.array(types, dtype=object)
    pair = [
        "+".join(sorted((names[a], names[b]), key=types.index)) if pl else names[a]
        for a, b, pl in zip(first, second, plural)
    ]
    out["true_type"] = np.where(plural, "pluralistic", names[first])
    out["true_types"] = pair
    out.attrs["simulated"] = True
    out.attrs["true_params"] = {
        "n_firms": n_firms, "seed": seed, "types": list(types), "pluralistic_share": pluralistic_share,
        "type_shares": dict(zip(types, p.tolist())), "high": high, "low": low, "style_sd": style_sd,
        "noise_sd": noise_sd, "dimensions": list(CMP_DIMENSIONS),
    }
    return out
