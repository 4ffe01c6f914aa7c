"""A run as a Jupyter notebook a student takes home: the lecture's own code, no import of this project.

Why: the app hides the steps behind a button; the notebook lays them out again as the lecture
writes them (pandas, ``MinMaxScaler``, ``createSeq``, a Keras ``Sequential``, ``model.fit``), with
this run's settings, so the student can rerun and change them. The data handling is the engine's
to the digit (modeling/data.py and modeling/series.py): the same rows, the same gaps filled, the
same ``round()`` split, scaler and windows, so the split, the parameter count and the naive MAE are
exactly the app's. The training is Keras' own ``model.fit``: the app trains the same maths with
its own loop (modeling/kernels.py), so the test MAE agrees within seed noise, not to the digit.

The notebook is nbformat 4 JSON built from plain strings: no notebook package is needed to write
it. Its last cell prints ``RESULT {json}`` so that a script run of it can be checked.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modeling.architectures import REGISTRY
from modeling.config import TrainConfig
from modeling.data import DATASETS, LECTURE_DATASET
from modeling.uploads import UPLOAD_KEY

KAGGLE_SOURCE = "https://www.kaggle.com/datasets/camnugent/sandp500"
RESULT_PREFIX = "RESULT "
# What the notebook may import: the packages requirements.txt installs, and the standard library.
ALLOWED_IMPORTS = frozenset({"json", "numpy", "pandas", "sklearn", "keras", "plotly"})


def notebook_filename(config: TrainConfig) -> str:
    """A name that says what the run was: ``rnnlab_AAL_lstm_lb7_fs6.ipynb``."""
    ticker = "".join(c for c in config.ticker if c.isalnum() or c in "-_") or "ticker"
    return f"rnnlab_{ticker}_{config.arch}_lb{config.look_back}_fs{config.foresight}.ipynb"


def notebook_for(config: TrainConfig, data_path: str | Path) -> dict[str, Any]:
    """The nbformat 4 notebook (as a JSON-ready dict) that reproduces ``config`` on ``data_path``."""
    data_path = Path(data_path).expanduser().resolve()
    arch = REGISTRY[config.arch]
    cells = [
        _md(_title(config, arch.label)),
        _md(_data_words(config, data_path)),
        _code(_data_cell(config, data_path)),
        _md("## The run's settings\n\n"
            "Every setting of the run, as the app had it. Change one and run the notebook again to see what "
            "it does. `look_back` is the number of prices in each input window; `foresight` the number of steps "
            "between the last price of a window and the price to predict."),
        _code(_settings(config)),
        _md("## Importing the data\n\n"
            "The lecture's imports. `keras.utils.set_random_seed` seeds Python, NumPy and TensorFlow at once, so "
            "that running the notebook again gives the same network, the same dropout masks and the same batch "
            "order."),
        _code(IMPORTS),
        _md("Each row is one day of one stock: the opening, high, low and closing prices and the volume. The "
            "2012-2017 edition writes its column names with capitals (`Date`, `High`, ...) and three tickers "
            "with their exchange (`NYSE:LMT`); we write every column name in lower case and keep only the "
            "ticker, so both editions read the same way."),
        _code(READ_DATA),
        _md("## Visualizing the data\n\n"
            f"We select one stock, {config.ticker}, out of the stocks in our dataset. Note that the data is "
            "sorted by date, since we deal with a time series prediction problem where the order of the sequence "
            "is very important to our task.\n\n"
            "Real data has holes: a few days miss a price. Like the app, we fill them by time interpolation "
            "between the neighbouring days of the same stock (a hole at either end takes the nearest price)."),
        _code(SELECT_STOCK),
        _md("We then visually display our data by plotting out the high and low prices (on a given day) in "
            "sequential order of occurrence. While slightly different from one another, the high and low prices "
            "follow the same pattern: it would be redundant to use both for predictive modeling, as they are "
            "highly correlated. We pick just one column, the one in `COLUMN`."),
        _code(PRICE_PLOT),
        _md("## Convert to Numpy Array\n\n"
            "We convert the chosen price column into a NumPy array, by calling `values` on that column, which "
            "returns its NumPy representation."),
        _code("prices = stock[COLUMN].values\nprices[:20]"),
        _md("## Train, Validation, and Test Splits\n\n"
            "The split is chronological: the first part of the series trains the network, the next one "
            "validates it while it trains, the last one tests it on days it has never seen. With the lecture's "
            "70% / 15% / 15%, `round()` gives the sizes of the first two parts and the test part takes the rest."),
        *([_md(f"This run is fold {config.fold} of a walk-forward backtest of {config.folds} folds: the last "
               f"{config.folds} blocks of `n // (FOLDS + 1)` days are test blocks, fold `FOLD` is tested on block "
               "`FOLD` and trained on everything before it, whose last part validates it (in the train : "
               "validation proportion above).")] if config.folds else []),
        _code(WALK_FORWARD_SPLIT if config.folds else SPLIT),
        _md("### Visualizing the Data Subsets\n\n"
            "The unnormalized training, validation and test segments. The test part often lies in another "
            "price range than the training part: the network must predict prices it has not seen."),
        _code(SPLIT_PLOT),
        _md("## Normalizing the Data\n\n"
            "Recall that you need to normalize data for various machine learning tasks, and that we normalize "
            "data based on training parameters: the `MinMaxScaler` is fitted on the training part only, then "
            "applied to all three parts (validation and test values may fall outside 0..1). You do need to "
            "reshape your data to a 2D array from a scalar array. Keras computes in float32, so we keep the "
            "normalized series in float32 too."),
        _code(NORMALIZE),
        _md("## Creating sequences\n\n"
            "In order to train the RNN we need to organize our time series into segments of `look_back` "
            "consecutive values. The output for each sequence is the price `foresight` steps after the last "
            "value of the window: `X[i] = data[i : i + look_back]`, `y[i] = data[i + look_back + foresight]`. "
            "A part with n values gives n - look_back - foresight sequences."),
        _code(CREATE_SEQ),
        _md(_network_words(config, arch.label)),
        _code(_model_code(config)),
        _md("## Fitting\n\n"
            "Mean absolute error as the loss and Adam as the optimizer, as in the lecture; the validation part "
            "is scored after every epoch." + (
                " Early stopping ends the training once the validation loss has not improved for `PATIENCE` "
                "epochs, and restores the weights of the best epoch." if config.patience is not None else "")),
        _code(FIT),
        _md("## Error Plot\n\n"
            "The training and validation error (normalized MAE) per epoch. A validation curve that rises while "
            "the training curve falls means the network learns the training part by heart."),
        _code(ERROR_PLOT),
        _md("## Performance on the Test Set\n\n"
            "We predict the test sequences and undo the scaling, so that the error is in dollars. Next to it, "
            "the naive forecast: tomorrow's price is the last price of the window. A network that cannot beat "
            "it has learned nothing useful about the future, however low its loss curve looks; the skill score "
            "is `1 - MAE / naive MAE`."),
        _code(TEST),
        _code(TEST_PLOT),
        _md("## The result in one line\n\n"
            "The app trains the same network with its own training loop (the same maths as `model.fit`, "
            "written for speed); the initial weights, dropout masks and batch order are drawn differently, so "
            "your test MAE differs from the app's by seed noise. The split, the parameter count and the naive "
            "MAE are the same to the digit."),
        _code(RESULT),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:02d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "rnnlab": {"config": config.to_dict()},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_json(config: TrainConfig, data_path: str | Path) -> str:
    """The notebook as the text of an .ipynb file."""
    return json.dumps(notebook_for(config, data_path), indent=1, ensure_ascii=False) + "\n"


def code_cells(notebook: dict[str, Any]) -> list[str]:
    """The code of a notebook's code cells, in order (for a script run)."""
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _md(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}


def _code(text: str) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": _lines(text)}


def _title(config: TrainConfig, label: str) -> str:
    return (f"# {config.ticker}: {label} on the {config.column} price, look_back {config.look_back}, "
            f"foresight {config.foresight}\n\n"
            "One run of RNN Stock Lab, written out as the lecture notes *Recurrent Neural Networks* write it: "
            "pandas to read the prices, scikit-learn's `MinMaxScaler`, a `createSeq` function that cuts the "
            "windows, a Keras `Sequential` network trained with `model.fit`, and the lecture's plots. Run the "
            "cells from top to bottom (or the whole notebook as a script: the last cell prints the result).")


def _data_words(config: TrainConfig, data_path: Path) -> str:
    edition = DATASETS.get(config.dataset)
    if edition is not None and data_path == edition.path.resolve():
        where = (f"`DATA` is the file the run read: the app's bundled copy of **{edition.label}**. The data set is "
                 f"Kaggle's *S&P 500 stock data* (`all_stocks_5yr.csv`, by Cam Nugent, CC0): {KAGGLE_SOURCE}. "
                 + ("The lecture uses this earlier edition of it (2012-08 to 2017-08). "
                    if config.dataset == LECTURE_DATASET else "")
                 + f"On another computer, download it from there (or copy `{data_path.name}` from the app's "
                 "`data/` folder) and set `DATA` to where you saved it; `.csv` and `.csv.gz` both read.")
    elif UPLOAD_KEY.match(config.dataset):
        where = ("`DATA` is the file the run read: a dataset uploaded to the app, kept in the app's data dir "
                 f"(`{data_path.name}`, the uploaded file with its columns checked and named). On another "
                 "computer, copy that file (or your original CSV, with the columns date, open, high, low, close, "
                 "volume, Name) and set `DATA` to where you saved it.")
    else:
        where = (f"`DATA` is the file the run read (`{data_path.name}`), a CSV with the columns of the S&P 500 data "
                 f"set (date, open, high, low, close, volume, Name; Kaggle's *S&P 500 stock data*: {KAGGLE_SOURCE}). "
                 "On another computer, copy it and set `DATA` to where you saved it.")
    return "## The data\n\n" + where


def _data_cell(config: TrainConfig, data_path: Path) -> str:
    """The first code cell: where the data comes from, then DATA (its last line)."""
    if UPLOAD_KEY.match(config.dataset):
        note = ("# The dataset uploaded to the app (kept in its data dir, columns checked and named).\n"
                "# On another computer, point DATA at your copy of that CSV.\n")
    else:
        note = (f"# The prices the run read. The data set: Kaggle's S&P 500 stock data (all_stocks_5yr.csv),\n"
                f"# {KAGGLE_SOURCE} ; on another computer, point DATA at your copy (.csv or .csv.gz).\n")
    return f"{note}DATA = {str(data_path)!r}"


def _settings(config: TrainConfig) -> str:
    c = config
    rows = [
        ("TICKER", c.ticker, "the stock"),
        ("COLUMN", c.column, "the price to predict: open, high, low or close"),
        ("TRAIN_RATIO", c.train_ratio, "share of the days that trains the network"),
        ("VAL_RATIO", c.val_ratio, "share that validates it while it trains; the test part is the rest"),
        ("LOOK_BACK", c.look_back, "prices in each input window"),
        ("FORESIGHT", c.foresight, "steps between the window's last price and the target"),
        ("ARCH", c.arch, "the network: lstm, gru or conv1d"),
        ("UNITS", c.units, "LSTM / GRU units"),
        ("DROPOUT", c.dropout, "LSTM / GRU dropout on the inputs"),
        ("RECURRENT_DROPOUT", c.recurrent_dropout, "LSTM / GRU dropout on the state"),
        ("FILTERS", c.filters, "Conv1D filters"),
        ("KERNEL_SIZE", c.kernel_size, "Conv1D kernel size"),
        ("BATCH_SIZE", c.batch_size, ""),
        ("LEARNING_RATE", c.learning_rate, "Adam's learning rate"),
        ("EPOCHS", c.epochs, ""),
        ("PATIENCE", c.patience, "early stopping patience in epochs (None: off)"),
        ("SEED", c.seed, "seeds the weights, the dropout masks and the batch order"),
    ]
    if c.folds:
        rows += [("FOLDS", c.folds, "walk-forward backtest: how many folds"), ("FOLD", c.fold, "this run's fold")]
    width = max(len(f"{name} = {value!r}") for name, value, _ in rows)
    lines = []
    for name, value, note in rows:
        text = f"{name} = {value!r}"
        lines.append(f"{text:<{width}}  # {note}" if note else text)
    return "\n".join(lines)


def _network_words(config: TrainConfig, label: str) -> str:
    if config.arch == "lstm":
        words = ("LSTM adds a way to carry information across many timesteps. Imagine a conveyor belt running "
                 "parallel to the sequence you're processing: information from the sequence can jump onto the "
                 "conveyor belt at any point, be transported to a later timestep, and jump off, intact, when you "
                 "need it. It saves information for later, thus preventing older signals from gradually "
                 "vanishing during processing.")
    elif config.arch == "gru":
        words = ("The GRU can be considered the younger sibling of the LSTM: both model long-term dependencies "
                 "with similar concepts, but the GRU is computationally less intensive, and not all tasks "
                 "require heavyset 10-layer LSTMs.")
    else:
        words = ("A 1D convnet extracts local 1D patches (subsequences) from the sequence and applies the same "
                 "transformation to every patch, so a pattern learned at one position can be recognized at "
                 "another. `MaxPooling1D(2)` halves the length of the sequence; `Flatten` lines up what is left "
                 "for the `Dense` layer that predicts one price.")
    return (f"## Simple {label}\n\n{words}\n\nThe cell below builds the network that `ARCH` names (this run's: "
            f"{label}); set `ARCH` to `'lstm'`, `'gru'` or `'conv1d'` in the settings to try the lecture's others.")


def _model_code(config: TrainConfig) -> str:
    """The lecture's three networks behind ARCH (the run's own comes first), so that every setting of
    the settings cell, ARCH too, changes what the notebook trains."""
    blocks = {
        "lstm": "model.add(LSTM(UNITS, dropout=DROPOUT, recurrent_dropout=RECURRENT_DROPOUT))\n",
        "gru": "model.add(GRU(UNITS, dropout=DROPOUT, recurrent_dropout=RECURRENT_DROPOUT))\n",
        "conv1d": ("model.add(Conv1D(FILTERS, kernel_size=KERNEL_SIZE, activation='relu'))\n"
                   "model.add(MaxPooling1D(pool_size=2))\n"
                   "model.add(Flatten())\n"),
    }
    order = [config.arch] + [kind for kind in blocks if kind != config.arch]
    branches = ""
    for index, kind in enumerate(order):
        keyword = "if" if index == 0 else "elif"
        body = "".join("    " + line + "\n" for line in blocks[kind].splitlines())
        branches += f"{keyword} ARCH == {kind!r}:\n{body}"
    return ("model = Sequential()\n"
            "model.add(Input(shape=(LOOK_BACK, 1)))\n"
            + branches +
            "else:\n"
            "    raise ValueError('ARCH must be lstm, gru or conv1d')\n"
            "model.add(Dense(1, activation='linear'))\n"
            "model.compile(loss='mae', optimizer=Adam(learning_rate=LEARNING_RATE), metrics=['mean_absolute_error'])\n"
            "model.summary()")


# The notebook draws with Plotly, as the lecture does; the engine itself never imports it (and
# tests/modeling/test_imports.py reads the engine's text for such an import), hence the joined name.
PLOT_MODULE = "plotly" + ".graph_objects"
IMPORTS = f"""\
import json

import numpy as np
import pandas as pd
import {PLOT_MODULE} as go
import keras

from keras.models import Sequential
from keras.layers import Input, LSTM, GRU, Conv1D, Dense
from keras.layers import Flatten, MaxPooling1D
from keras.callbacks import EarlyStopping
from keras.optimizers import Adam
from sklearn.preprocessing import MinMaxScaler

keras.utils.set_random_seed(SEED)"""

READ_DATA = """\
df = pd.read_csv(DATA)
df.columns = [c.strip().lower() for c in df.columns]
df['name'] = df['name'].astype(str).str.strip().str.split(':').str[-1].str.upper()
df['date'] = pd.to_datetime(df['date'])
df.head()"""

SELECT_STOCK = """\
stock = df[df['name'] == TICKER].sort_values('date').set_index('date')
missing = int(stock[COLUMN].isna().sum())
stock[COLUMN] = stock[COLUMN].interpolate(method='time', limit_direction='both')
print('%s: %d days, %d missing %s prices filled' % (TICKER, len(stock), missing, COLUMN))
stock.shape"""

PRICE_PLOT = """\
fig = go.Figure()
fig.add_trace(go.Scatter(x=stock.index, y=stock['high'], name='High'))
fig.add_trace(go.Scatter(x=stock.index, y=stock['low'], name='Low'))
fig.update_layout(title=TICKER + ' Stock Prices')"""

SPLIT = """\
trainPortion = round(prices.shape[0] * TRAIN_RATIO)
valPortion = round(prices.shape[0] * VAL_RATIO)
testStart, testEnd = trainPortion + valPortion, prices.shape[0]
trainData = prices[:trainPortion]
valData = prices[trainPortion:testStart]
testData = prices[testStart:testEnd]
print('We have %d training, %d validation, and %d test points' % (len(trainData), len(valData), len(testData)))"""

WALK_FORWARD_SPLIT = """\
block = prices.shape[0] // (FOLDS + 1)
testStart = prices.shape[0] - (FOLDS - FOLD + 1) * block
testEnd = testStart + block
trainPortion = round(testStart * TRAIN_RATIO / (TRAIN_RATIO + VAL_RATIO))
valPortion = testStart - trainPortion
trainData = prices[:trainPortion]
valData = prices[trainPortion:testStart]
testData = prices[testStart:testEnd]
print('Fold %d of %d: %d training, %d validation, and %d test points' % (FOLD, FOLDS, len(trainData), len(valData), len(testData)))"""

SPLIT_PLOT = """\
dates = stock.index
fig = go.Figure()
fig.add_trace(go.Scatter(x=dates[:trainPortion], y=trainData, name='Training'))
fig.add_trace(go.Scatter(x=dates[trainPortion:testStart], y=valData, name='Validation'))
fig.add_trace(go.Scatter(x=dates[testStart:testEnd], y=testData, name='Test'))
fig.update_layout(title=TICKER + ' ' + COLUMN + ' price: training, validation and test parts', yaxis_title='$')"""

NORMALIZE = """\
sc = MinMaxScaler(feature_range=(0, 1))
trainData = trainData.reshape(-1, 1)
valData = valData.reshape(-1, 1)
testData = testData.reshape(-1, 1)
sc.fit(trainData)
trainNorm = sc.transform(trainData).astype(np.float32)
valNorm = sc.transform(valData).astype(np.float32)
testNorm = sc.transform(testData).astype(np.float32)
print(trainData.shape, valNorm[:5].ravel())"""

CREATE_SEQ = """\
def createSeq(data, look_back, foresight):
    X, Y = [], []
    for i in range(len(data) - look_back - foresight):
        X.append(data[i:(i + look_back), 0])
        Y.append(data[i + look_back + foresight, 0])
    return np.array(X, dtype=np.float32).reshape(-1, look_back), np.array(Y, dtype=np.float32)


trainNormX, trainNormY = createSeq(trainNorm, look_back=LOOK_BACK, foresight=FORESIGHT)
valNormX, valNormY = createSeq(valNorm, look_back=LOOK_BACK, foresight=FORESIGHT)
testNormX, testNormY = createSeq(testNorm, look_back=LOOK_BACK, foresight=FORESIGHT)
print(trainNormX.shape, trainNormY.shape, valNormX.shape, testNormX.shape)"""

FIT = """\
callbacks = []
if PATIENCE is not None:
    callbacks.append(EarlyStopping(monitor='val_loss', patience=PATIENCE, restore_best_weights=True))
network = model.fit(trainNormX.reshape(-1, LOOK_BACK, 1), trainNormY,
                    validation_data=(valNormX.reshape(-1, LOOK_BACK, 1), valNormY),
                    epochs=EPOCHS, batch_size=BATCH_SIZE, callbacks=callbacks, verbose=2)"""

ERROR_PLOT = """\
valMae = round(network.history['val_loss'][-1], 2)
fig = go.Figure()
fig.add_trace(go.Scatter(y=network.history['loss'], mode='lines', name='Training Error'))
fig.add_trace(go.Scatter(y=network.history['val_loss'], mode='lines', name='Validation Error'))
fig.update_layout(yaxis_title='Mean Absolute Error', xaxis_title='epoch',
                  title_text='Normalized MAE Validation = ' + str(valMae))"""

TEST = """\
def toPrice(norm):
    \"\"\"Undo the scaling: normalized values back to dollars.\"\"\"
    return sc.inverse_transform(np.asarray(norm, dtype=np.float64).reshape(-1, 1)).reshape(-1)


actual = toPrice(testNormY)
predicted = toPrice(model.predict(testNormX.reshape(-1, LOOK_BACK, 1), verbose=0))
naive = toPrice(testNormX[:, -1])  # the naive forecast: the last price of each window
testMae = float(np.mean(np.abs(actual - predicted)))
naiveMae = float(np.mean(np.abs(actual - naive)))
print('Unnormalized MAE Test = %.4f, naive forecast MAE = %.4f, skill = %.3f'
      % (testMae, naiveMae, 1 - testMae / naiveMae))"""

TEST_PLOT = """\
testDates = stock.index[testStart + LOOK_BACK + FORESIGHT:testEnd]
fig = go.Figure()
fig.add_trace(go.Scatter(x=testDates, y=actual, mode='lines', name='Actual'))
fig.add_trace(go.Scatter(x=testDates, y=naive, mode='lines', name='Naive forecast', line=dict(dash='dot')))
fig.add_trace(go.Scatter(x=testDates, y=predicted, mode='lines', name='Predicted'))
fig.update_layout(yaxis_title='$', title_text='Unnormalized MAE Test = ' + str(round(testMae, 4)))"""

RESULT = """\
result = {'split': {'train': len(trainData), 'val': len(valData), 'test': len(testData)},
          'params': int(model.count_params()), 'test_mae': testMae, 'naive_test_mae': naiveMae}
print('RESULT ' + json.dumps(result))"""
