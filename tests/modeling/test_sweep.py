"""Sweep planning: the grid, its cap and its exact message, per-cell refusals, the defaults."""
from __future__ import annotations

import pytest

from modeling.config import ConfigError, TrainConfig
from modeling.data import DataError
from modeling.limits import SWEEP_MAX_RUNS
from modeling.sweep import SweepError, SweepGrid, plan_sweep


def test_the_default_grid_is_look_back_7_14_30_by_the_three_networks_at_foresight_6_one_seed():
    grid = SweepGrid()
    assert (grid.look_backs, grid.archs, grid.foresights, grid.seeds) == ((7, 14, 30), ("lstm", "gru", "conv1d"),
                                                                          (6,), 1)
    configs = plan_sweep(TrainConfig(ticker="AAL", epochs=5, seed=3), grid)
    assert len(configs) == grid.size == 9
    assert [(c.look_back, c.arch) for c in configs] == [(lb, a) for lb in (7, 14, 30) for a in ("lstm", "gru", "conv1d")]
    assert {(c.ticker, c.foresight, c.epochs, c.seed) for c in configs} == {("AAL", 6, 5, 3)}


def test_seeds_follow_the_base_seed_and_foresight_is_the_outer_axis():
    grid = SweepGrid.from_values([14, 7, 7], ["gru"], [10, 1], 2)
    assert (grid.look_backs, grid.foresights) == ((7, 14), (1, 10))  # sorted, no repeats
    configs = plan_sweep(TrainConfig(seed=5), grid)
    assert [(c.foresight, c.look_back, c.seed) for c in configs] == [
        (1, 7, 5), (1, 7, 6), (1, 14, 5), (1, 14, 6), (10, 7, 5), (10, 7, 6), (10, 14, 5), (10, 14, 6)]


def test_a_grid_over_the_cap_is_refused_with_its_size():
    grid = SweepGrid.from_values([7, 14, 30], ["lstm", "gru", "conv1d"], [1, 6, 10], 3)
    with pytest.raises(SweepError) as refused:
        plan_sweep(TrainConfig(), grid)
    assert str(refused.value) == ("This grid is 81 runs (3 look_backs x 3 networks x 3 foresights x 3 seeds); "
                                  "a sweep holds at most 60")
    exactly = SweepGrid.from_values([7, 10, 14, 20, 30], ["lstm", "gru", "conv1d"], [1, 6], 2)
    assert exactly.size == SWEEP_MAX_RUNS and len(plan_sweep(TrainConfig(), exactly)) == SWEEP_MAX_RUNS
    one_more = SweepGrid.from_values([7, 10, 14, 20, 30, 45], ["lstm", "gru", "conv1d"], [1, 6], 2)
    with pytest.raises(SweepError, match=r"^This grid is 72 runs \(6 look_backs x 3 networks x 2 foresights x "
                                         r"2 seeds\); a sweep holds at most 60$"):
        one_more.check_size()


@pytest.mark.parametrize("axes, message", [
    (([], ["lstm"], [6], 1), "choose at least one look_back"),
    (([7], [], [6], 1), "choose at least one network"),
    (([7], ["lstm"], None, 1), "choose at least one foresight"),
    (([7], ["lstm"], [6], 0), "seeds per cell must be a whole number from 1 to 5; got 0"),
    (([7], ["lstm"], [6], 6), "seeds per cell must be a whole number from 1 to 5; got 6"),
    (([7], ["lstm"], [6], 1.5), "seeds per cell must be a whole number from 1 to 5; got 1.5"),
    (([7], ["lstm"], [6], True), "seeds per cell must be a whole number from 1 to 5; got True"),
    (([7], ["lstm"], [6], "2"), "seeds per cell must be a whole number from 1 to 5; got '2'"),
    (([0], ["lstm"], [6], 1), "look_back must be between 1 and 250; got 0"),
    (([7], ["rnn"], [6], 1), "unknown architecture 'rnn'; valid kinds: lstm, gru, conv1d"),
    (([7], ["lstm"], ["<script>"], 1), "foresight must be a number; got '<script>'"),
])
def test_every_axis_is_checked_as_a_run_setting_is(axes, message):
    with pytest.raises(ConfigError) as refused:
        SweepGrid.from_values(*axes)
    assert str(refused.value) == message


def test_a_cell_the_ticker_is_too_short_for_is_refused_up_front_with_the_engines_message():
    grid = SweepGrid.from_values([7, 30], ["lstm"], [6], 1)
    with pytest.raises(SweepError) as refused:
        plan_sweep(TrainConfig(ticker="DWDP"), grid)  # 109 rows: a test split of 16 points
    assert str(refused.value) == "DWDP validation split has 16 points; look_back 30 + foresight 6 needs at least 37"
    with pytest.raises(ConfigError, match="Conv1D kernel_size 10 needs look_back of at least 11"):
        plan_sweep(TrainConfig(kernel_size=10), SweepGrid.from_values([7, 30], ["conv1d"], [6], 1))
    with pytest.raises(DataError, match="unknown ticker 'NOPE'"):
        plan_sweep(TrainConfig(ticker="NOPE"), grid)
