"""Small vectorised simulators of the probability models, with known true parameters (test helpers)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bgnbd(n, r, alpha, a, b, *, seed=0, t_low=20.0, t_high=40.0, with_spend=None):
    """Summaries of BG/NBD customers observed for T ~ Uniform(t_low, t_high) units after their first purchase.

    Drop-out can only follow a repeat purchase (FHL 2005): the number of repeat purchases until death D is
    geometric(p); the purchases seen are x = min(D, N) where N ~ Poisson(lambda T) counts the arrivals in
    (0, T]; the x-th of N uniform arrival times is T * Beta(x, N - x + 1).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(t_low, t_high, n)
    D = rng.geometric(p)
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
    """Pareto/NBD: lifetime tau ~ Exponential(mu), purchases Poisson(lambda) while alive."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    T = rng.uniform(t_low, t_high, n)
    tau = rng.exponential(1.0 / mu)
    end = np.minimum(tau, T)
    x = rng.poisson(lam * end)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = end[pos] * rng.beta(x[pos], 1.0)  # max of x uniforms on (0, end)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def test_simulators_without_dropout_give_the_nbd_mean():
    # With (almost) no drop-out both processes reduce to gamma-mixed Poisson counts: E[x] = r T / alpha.
    bg = simulate_bgnbd(200_000, 0.5, 5.0, 1.0, 1e7, seed=1, t_low=20.0, t_high=20.0)
    pn = simulate_pareto_nbd(200_000, 0.5, 5.0, 1.0, 1e9, seed=1, t_low=20.0, t_high=20.0)
    for sim in (bg, pn):
        se = sim["frequency"].std() / np.sqrt(len(sim))
        assert abs(sim["frequency"].mean() - 0.5 * 20.0 / 5.0) < 4 * se
        assert (sim["recency"] <= sim["T"]).all() and (sim.loc[sim["frequency"] == 0, "recency"] == 0).all()
