"""The frozen app's entry point: the window, or ``--smoke-test`` (explorer.qt.app.main)."""

from explorer.qt.app import run

if __name__ == "__main__":
    run()
