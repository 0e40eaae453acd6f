"""The frozen app's entry point: the window, or ``--smoke-test`` (explorer.qt.app.main)."""

import multiprocessing

from explorer.qt.app import run

if __name__ == "__main__":
    # The audit's checkers and the folder walk spawn worker processes: in the bundle they run
    # this executable, which must then be the worker, not a second window (PyInstaller's hook).
    multiprocessing.freeze_support()
    run()
