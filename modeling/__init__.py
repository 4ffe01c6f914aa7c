"""The engine of RNN Stock Lab: data, windows, architectures, training, metrics, run store.

It never imports Dash or Plotly, and TensorFlow only where a model is built or trained.
"""
