"""Small vectorised simulators of the probability models, with known true parameters (test helpers)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bgnbd(n, r, alpha, a, b, *, seed=0, t_low=20.0, t_high=40.0, with_spend=None, modified=False):
    """Summaries of BG/NBD customers observed for T ~ Uniform(t_low, t_high) units after their first purchase.

    Drop-out can only follow a repeat purchase (FHL 2005): the number of repeat purchases until death D is
    geometric(p); the purchases seen are x = min(D, N) where N ~ Poisson(lambda T) counts the arrivals in
    (0, T]; the x-th of N uniform arrival times is T * Beta(x, N - x + 1). ``modified=True``: the MBG/NBD,
    where the first purchase is followed by a drop-out chance too (D counts from 0: geometric(p) - 1).
    ``alpha``, ``a``, ``b`` may be arrays (one value per customer: covariate models).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / np.asarray(alpha, float), n)
    p = rng.beta(a, b, n)
    T = rng.uniform(t_low, t_high, n)
    D = rng.geometric(p) - (1 if modified else 0)
    N = rng.poisson(lam * T)
    x = np.minimum(D, N)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = T[pos] * rng.beta(x[pos], N[pos] - x[pos] + 1)
    frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    if with_spend is not None:
        pp, q, v = with_spend
        nu = rng.gamma(q, 1.0 / v, n)  # scale of each customer's spend: z ~ Gamma(p, rate nu)
        xs = np.maximum(x, 1)
        mean = rng.gamma(pp * xs, 1.0 / nu) / xs
        frame["monetary_value"] = np.where(x > 0, mean, 0.0)
    return frame


def simulate_pareto_nbd(n, r, alpha, s, beta, *, seed=0, t_low=20.0, t_high=40.0):
    """Pareto/NBD: lifetime tau ~ Exponential(mu), purchases Poisson(lambda) while alive (alpha, beta may be arrays)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / np.asarray(alpha, float), n)
    mu = rng.gamma(s, 1.0 / np.asarray(beta, float), n)
    T = rng.uniform(t_low, t_high, n)
    tau = rng.exponential(1.0 / mu)
    end = np.minimum(tau, T)
    x = rng.poisson(lam * end)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = end[pos] * rng.beta(x[pos], 1.0)  # max of x uniforms on (0, end)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def simulate_bgbb(n, alpha, beta, gamma, delta, *, n_periods=6, seed=0, collapse=True):
    """BG/BB customers: at each opportunity the alive transact w.p. p; they die before an opportunity w.p. theta."""
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    death = rng.geometric(theta)  # the first opportunity at which she is dead (1, 2, ...)
    t = np.arange(1, n_periods + 1)
    buys = (rng.random((n, n_periods)) < p[:, None]) & (t[None, :] < death[:, None])
    x = buys.sum(axis=1)
    tx = np.where(x > 0, n_periods - np.argmax(buys[:, ::-1], axis=1), 0)
    frame = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n_periods})
    if collapse:
        frame = (
            frame.groupby(["frequency", "recency", "n_periods"], as_index=False)
            .size()
            .rename(columns={"size": "weights"})
        )
    return frame


def simulate_bdw(n, alpha, beta, c, *, periods=8, seed=0):
    """Survivors of a BdW cohort: theta ~ Beta(alpha, beta), S(t | theta) = (1 - theta)^(t^c); first value n."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    u = rng.random(n)
    # lifetime T = the first t with (1 - theta)^(t^c) < u, i.e. t^c > log(u) / log(1 - theta)
    with np.errstate(divide="ignore"):
        threshold = np.log(u) / np.log1p(-theta)
    lifetime = np.floor(threshold ** (1.0 / c)) + 1
    return [n] + [int((lifetime > t).sum()) for t in range(1, periods + 1)]


def test_simulators_without_dropout_give_the_nbd_mean():
    # With (almost) no drop-out both processes reduce to gamma-mixed Poisson counts: E[x] = r T / alpha.
    bg = simulate_bgnbd(200_000, 0.5, 5.0, 1.0, 1e7, seed=1, t_low=20.0, t_high=20.0)
    pn = simulate_pareto_nbd(200_000, 0.5, 5.0, 1.0, 1e9, seed=1, t_low=20.0, t_high=20.0)
    for sim in (bg, pn):
        se = sim["frequency"].std() / np.sqrt(len(sim))
        assert abs(sim["frequency"].mean() - 0.5 * 20.0 / 5.0) < 4 * se
        assert (sim["recency"] <= sim["T"]).all() and (sim.loc[sim["frequency"] == 0, "recency"] == 0).all()


def test_bgbb_and_bdw_simulators_match_their_closed_forms():
    from crmlib.models import BetaDiscreteWeibull, BetaGeoBetaBinom

    truth = {"alpha": 1.2, "beta": 0.8, "gamma": 0.7, "delta": 2.5}
    sim = simulate_bgbb(100_000, **truth, seed=3, collapse=False)
    model = BetaGeoBetaBinom()
    model.params_ = truth
    pmf = model.probability_of_purchases(np.arange(7), 6)
    shares = np.bincount(sim["frequency"], minlength=7) / len(sim)
    np.testing.assert_allclose(shares, pmf, atol=4 * np.sqrt(0.25 / len(sim)))
    bdw = BetaDiscreteWeibull()
    bdw.params_ = {"alpha": 0.8, "beta": 2.0, "c": 1.4}
    survivors = simulate_bdw(200_000, 0.8, 2.0, 1.4, seed=4)
    np.testing.assert_allclose(
        np.array(survivors) / 200_000, bdw.survival(np.arange(9)), atol=4 * np.sqrt(0.25 / 200_000)
    )
