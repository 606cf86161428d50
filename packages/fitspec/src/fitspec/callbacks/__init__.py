"""The backend-neutral callbacks, exposed by every backend as `fs.callbacks`."""

from fitspec.callbacks.backup_and_restore import BackupAndRestore
from fitspec.callbacks.callback import HOOKS, Callback, CallbackList
from fitspec.callbacks.csv_logger import CSVLogger
from fitspec.callbacks.early_stopping import EarlyStopping
from fitspec.callbacks.history import History
from fitspec.callbacks.lambda_callback import LambdaCallback
from fitspec.callbacks.learning_rate_scheduler import LearningRateScheduler
from fitspec.callbacks.model_checkpoint import ModelCheckpoint
from fitspec.callbacks.progbar_logger import ProgbarLogger
from fitspec.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from fitspec.callbacks.swap_ema_weights import SwapEMAWeights
from fitspec.callbacks.tensorboard import TensorBoard
from fitspec.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "HOOKS", "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN",
    "SwapEMAWeights",
]
