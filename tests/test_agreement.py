"""Agreement statistics against published values.

Sources (each number below is printed in the source named):
* irrCAC (Gwet, R package 1.0, README / vignette "Calculating Chance-corrected Agreement
  Coefficients"): datasets ``cont3x3abstractors``, ``distrib.6raters``, ``cac.raw4raters``.
* Krippendorff, K. (2011) "Computing Krippendorff's Alpha-Reliability", the 4 coders ×
  12 units example with missing values: nominal .743, ordinal .815, interval .849.
* Cohen's kappa, Wikipedia "Cohen's kappa" worked example (20/5/10/15 → κ = 0.4).
"""

from __future__ import annotations

import pytest

from qualcode.agreement import (
    agreement,
    cohen_kappa,
    contingency_to_table,
    distribution_to_table,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)

N = None
RAW4 = [[1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, N, 3, N]]
ABSTRACTORS = contingency_to_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
SIX = distribution_to_table([[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6],
                             [0, 3, 0, 3, 0], [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0],
                             [2, 0, 0, 4, 0], [0, 0, 0, 0, 6], [1, 0, 0, 5, 0], [1, 1, 0, 4, 0],
                             [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]])


def value(result):
    assert result.value is not None, result.reason
    return result.value


def test_two_coder_contingency_table_irrcac():
    assert value(cohen_kappa(ABSTRACTORS, n_boot=0)) == pytest.approx(0.7964094, abs=1e-7)
    assert value(scott_pi(ABSTRACTORS, n_boot=0)) == pytest.approx(0.7962397, abs=1e-7)
    assert value(gwet_ac1(ABSTRACTORS, n_boot=0)) == pytest.approx(0.8493305, abs=1e-7)
    assert value(krippendorff_alpha(ABSTRACTORS, n_boot=0)) == pytest.approx(0.7972585, abs=1e-7)
    assert value(percent_agreement(ABSTRACTORS, n_boot=0)) == pytest.approx(0.89)


def test_six_raters_distribution_irrcac():
    assert value(fleiss_kappa(SIX, n_boot=0)) == pytest.approx(0.4139265, abs=1e-7)
    assert value(gwet_ac1(SIX, n_boot=0)) == pytest.approx(0.4448007, abs=1e-7)
    assert value(krippendorff_alpha(SIX, n_boot=0)) == pytest.approx(0.4204384, abs=1e-7)
    assert value(percent_agreement(SIX, n_boot=0)) == pytest.approx(0.5511111, abs=1e-7)


def test_raw_ratings_with_missing_values_irrcac():
    assert value(percent_agreement(RAW4, n_boot=0)) == pytest.approx(0.8181818, abs=1e-7)
    assert value(gwet_ac1(RAW4, n_boot=0)) == pytest.approx(0.77544, abs=1e-5)
    assert value(fleiss_kappa(RAW4, n_boot=0)) == pytest.approx(0.76117, abs=1e-5)
    assert value(krippendorff_alpha(RAW4, n_boot=0)) == pytest.approx(0.74342, abs=1e-5)


@pytest.mark.parametrize("level,expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_2011_levels_with_missing_data(level, expected):
    assert value(krippendorff_alpha(RAW4, level=level, n_boot=0)) == pytest.approx(expected, abs=5e-4)


def test_cohen_wikipedia_example():
    table = contingency_to_table([[20, 5], [10, 15]])
    assert value(cohen_kappa(table, n_boot=0)) == pytest.approx(0.4)


def test_bootstrap_ci_is_seeded_and_brackets_the_estimate():
    a = krippendorff_alpha(ABSTRACTORS, n_boot=300, seed=7)
    b = krippendorff_alpha(ABSTRACTORS, n_boot=300, seed=7)
    c = krippendorff_alpha(ABSTRACTORS, n_boot=300, seed=8)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high) != (c.ci_low, c.ci_high)
    assert a.ci_low < a.value < a.ci_high and a.ci_high - a.ci_low < 0.3


@pytest.mark.parametrize("table,statistic,words", [
    ([[1, 1], [1, 1], [1, 1]], "alpha", "no variation"),
    ([[1, 1], [1, 1]], "cohen", "no variation"),
    ([[1, 1], [1, 1]], "fleiss", "no variation"),
    ([[1], [2], [1]], "alpha", "two or more coders"),
    ([[1], [2]], "cohen", "exactly two coders"),
    ([[N, N], [N, N]], "alpha", "missing"),
    ([[1, N], [N, 2]], "percent", "two or more coders"),
])
def test_degenerate_inputs_give_a_reason_not_a_number(table, statistic, words):
    result = agreement(table, statistic, n_boot=10)
    assert result.value is None and words in result.reason


def test_ac1_is_defined_where_kappa_paradox_bites():
    # 18 units both "absent", 2 disagreements: kappa near 0, AC1 high (Gwet 2008's point)
    table = [[0, 0]] * 18 + [[1, 0], [0, 1]]
    assert value(cohen_kappa(table, n_boot=0)) == pytest.approx(-0.0526, abs=1e-3)
    assert value(gwet_ac1(table, n_boot=0)) > 0.85
