"""Service tests train real (tiny) runs: keep TensorFlow quiet in this process, as the engine does."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
