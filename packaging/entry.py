"""The frozen app's entry point: ``wordnet-explorer``, the window or ``--smoke-test``, with the
options of ``wnexplorer gui`` (explorer.cli.gui: one parser for both)."""

import multiprocessing

from explorer.cli import run_window

if __name__ == "__main__":
    # The audit's checkers and the folder walk spawn worker processes: in the bundle they run
    # this executable, which must then be the worker, not a second window (PyInstaller's hook).
    multiprocessing.freeze_support()
    run_window()
