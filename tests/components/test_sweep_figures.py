"""Sweep and scan figures: cells fill as runs finish, mean and spread over seeds, skill centred at 0."""
from __future__ import annotations

import pytest

from components.sweep_figures import (mae_by_foresight, scan_treemap, skill_histogram, skill_range, sweep_heatmap,
                                      sweep_parallel)


def row(run_id, look_back=7, arch="lstm", foresight=6, seed=0, status="finished", mae=1.0, naive=1.2,
        ticker="AAL", sector="Industrials"):
    done = status == "finished"
    return {"id": run_id, "ticker": ticker, "sector": sector, "look_back": look_back, "arch": arch,
            "foresight": foresight, "seed": seed, "status": status, "test_mae": mae if done else None,
            "naive_mae": naive if done else None, "skill": (1 - mae / naive) if done else None}


def test_the_heatmap_has_a_panel_per_foresight_and_fills_as_runs_finish():
    rows = [row("a" * 12, 7, "lstm", 1, mae=1.0), row("b" * 12, 14, "lstm", 1, status="running"),
            row("c" * 12, 7, "gru", 6, mae=2.0), row("d" * 12, 14, "gru", 6, status="queued")]
    fig = sweep_heatmap(rows, [7, 14], ["lstm", "gru"], [1, 6])
    first, second = fig.data
    assert (first.x, first.y) == (("LSTM", "GRU"), ("7", "14"))
    assert [list(r) for r in first.z] == [[1.0, None], [None, None]]
    assert [list(r) for r in second.z] == [[None, 2.0], [None, None]]
    assert first.customdata[0][0][0] == "a" * 12 and first.customdata[1][0][0] == "b" * 12  # a click opens it
    assert [a.text for a in fig.layout.annotations] == ["foresight 1", "foresight 6"]
    assert fig.layout.coloraxis.colorscale[0][1] != fig.layout.coloraxis.colorscale[-1][1]


def test_several_seeds_give_mean_and_spread_and_skill_is_centred_at_zero():
    rows = [row(f"{i:012x}", seed=i, mae=m) for i, m in enumerate((1.0, 2.0, 3.0))]
    fig = sweep_heatmap(rows, [7], ["lstm"], [6], metric="skill")
    skills = [1 - m / 1.2 for m in (1.0, 2.0, 3.0)]
    assert fig.data[0].z[0][0] == pytest.approx(sum(skills) / 3)
    assert list(fig.data[0].customdata[0][0][3:5]) == ["$2.000", "$1.000"]  # mean and standard deviation of MAE
    assert "±1.000" in fig.data[0].text[0][0]
    axis = fig.layout.coloraxis
    assert axis.cmid == 0 and axis.cmin == -axis.cmax == pytest.approx(-2 / 3)  # symmetric: white at 0
    assert skill_range([0.01]) == 0.05 and skill_range([-0.3, 0.2]) == 0.3


def test_parallel_coordinates_and_mae_by_foresight_use_finished_runs_only():
    rows = [row("a" * 12, 7, "lstm", 1, mae=1.0, naive=1.1), row("b" * 12, 7, "gru", 1, mae=1.5, naive=1.1),
            row("c" * 12, 7, "lstm", 6, mae=2.0, naive=2.2), row("d" * 12, 7, "gru", 6, status="failed")]
    parallel = sweep_parallel(rows, ["lstm", "gru"])
    dims = {d.label: d.values for d in parallel.data[0].dimensions}
    assert dims["test MAE ($)"] == (1.0, 1.5, 2.0) and dims["network"] == (0, 1, 0)
    lines = {t.name: (t.x, t.y) for t in mae_by_foresight(rows, ["lstm", "gru"], [1, 6]).data}
    assert lines == {"LSTM": ((1, 6), (1.0, 2.0)), "GRU": ((1,), (1.5,)),
                     "naive forecast": ((1, 6), pytest.approx((1.1, 2.2)))}
    assert sweep_parallel([row("e" * 12, status="queued")], ["lstm"]).data == ()


def test_the_scan_map_gives_every_ticker_one_tile_by_sector_and_the_histogram_counts_winners():
    rows = [row("a" * 12, ticker="AAL", sector="Industrials", mae=1.0, naive=2.0),
            row("b" * 12, ticker="DAL", sector="Industrials", mae=3.0, naive=2.0),
            row("c" * 12, ticker="XOM", sector="Energy", mae=1.0, naive=1.0),
            row("d" * 12, ticker="CVX", sector="Energy", status="running")]
    tiles = scan_treemap(rows).data[0]
    assert list(tiles.ids) == ["Energy", "Energy/XOM", "Industrials", "Industrials/AAL", "Industrials/DAL"]
    assert list(tiles.values) == [1, 1, 2, 1, 1] and tiles.branchvalues == "total"
    assert list(tiles.marker.colors) == [0.0, 0.0, 0.0, 0.5, -0.5] and tiles.marker.cmid == 0
    assert tiles.customdata[3][0] == "a" * 12
    histogram = skill_histogram(rows)
    assert sorted(histogram.data[0].x) == [-0.5, 0.0, 0.5]
    assert histogram.layout.title.text == "Skill over 3 tickers: 1 beat the naive forecast"
