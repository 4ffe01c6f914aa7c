"""Cards and widgets: the words the metrics card, progress bar, model summary and notices show."""
from __future__ import annotations

from dash import html

from components.cards import field, format_duration, message, metrics_card, model_summary_table, progress_bar


def texts(component) -> list[str]:
    """Every string in a component tree, depth first."""
    if component is None:
        return []
    if isinstance(component, (str, int, float)):
        return [str(component)]
    if isinstance(component, (list, tuple)):
        return [t for child in component for t in texts(child)]
    return texts(getattr(component, "children", None))


def text(component) -> str:
    return " ".join(texts(component))


METRICS = {"test_mae": 1.2345, "test_rmse": 1.5, "test_mape": 3.456, "test_direction_acc": 0.55,
           "val_mae_norm": 0.04321, "naive_test_mae": 1.4, "skill": 0.12}


def test_metrics_card_says_a_positive_skill_in_words():
    card = metrics_card(METRICS, "LSTM")
    content = text(card)
    assert "The LSTM beats the naive forecast by 12% (skill +0.12)." in content
    for value in ("$1.234", "$1.500", "3.46%", "55%", "0.0432", "$1.400"):
        assert value in content
    verdict = [c for c in card.children if isinstance(c, html.P)][0]
    assert "verdict-good" in verdict.className


def test_metrics_card_says_a_negative_skill_in_words():
    card = metrics_card({**METRICS, "skill": -0.3}, "GRU")
    assert "The GRU is 30% worse than the naive forecast (skill -0.30)." in text(card)
    verdict = [c for c in card.children if isinstance(c, html.P)][0]
    assert "verdict-bad" in verdict.className


def test_metrics_card_without_metrics_is_empty():
    assert text(metrics_card({})) == ""


def test_progress_bar_says_epoch_and_time_left():
    bar = progress_bar(3, 10, 6.0)
    assert text(bar) == "epoch 3 of 10, about 14 s left"
    track = bar.children[1]
    assert track.children.style == {"width": "30.0%"}
    assert track.role == "progressbar"


def test_progress_bar_states():
    assert text(progress_bar(10, 10, 20.0)) == "epoch 10 of 10"
    assert text(progress_bar(0, 10, 0.0)) == "starting: preparing data and model (0 of 10 epochs)"
    assert text(progress_bar(0, 10, 0.0, status="queued")) == "queued: waiting for a training slot"
    assert text(progress_bar(0, 10, 0.0, status="queued", position=2)) == \
        "queued, position 2: waiting for a training slot"
    assert text(progress_bar(1, 100, 3.0)) == "epoch 1 of 100, about 4 min 57 s left"


def test_format_duration():
    assert format_duration(0) == "0 s"
    assert format_duration(59.4) == "59 s"
    assert format_duration(59.6) == "1 min 00 s"
    assert format_duration(125) == "2 min 05 s"
    assert format_duration(-3) == "0 s"


def test_model_summary_table_rows():
    rows = [{"name": "lstm", "type": "LSTM", "output_shape": "(None, 32)", "params": 4352},
            {"name": "dense", "type": "Dense", "output_shape": "(None, 1)", "params": 33}]
    card = model_summary_table(rows, 4385)
    table = card.children[1]
    head, body = table.children
    assert [th.children for th in head.children.children] == ["Layer (type)", "Output shape", "Param #"]
    assert [[td.children for td in tr.children] for tr in body.children] == [
        ["lstm (LSTM)", "(None, 32)", "4,352"], ["dense (Dense)", "(None, 1)", "33"]]
    assert "Total params: 4,385" in text(card)
    assert text(model_summary_table([], 0)) == ""


def test_message_renders_text_not_html():
    evil = "<script>alert(1)</script>"
    notice = message(evil)
    assert isinstance(notice, html.Div)
    assert notice.children == evil and isinstance(notice.children, str)
    assert notice.className == "notice notice-error" and notice.role == "alert"
    assert "dangerously_allow_html" not in notice.to_plotly_json()["props"]
    info = message("ok then", "info")
    assert info.className == "notice notice-info" and info.role == "status"


def test_field_has_label_control_and_hint():
    control = html.Span("x")
    assert [type(c) for c in field("Label", control).children] == [html.Label, html.Span]
    with_hint = field("Label", control, "a hint")
    assert with_hint.children[0].children == "Label"
    assert with_hint.children[2].children == "a hint"
