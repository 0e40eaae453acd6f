"""Catalogue ▸ Where heavy jobs run (issue 16): the choice kept in the settings, a malformed
one refused in the dialog, and the window's audit run on a local Dask cluster with its
progress on the busy bar (pytest-qt, offscreen, the demo catalogue)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSettings
from windows import open_window, private_copy

from explorer.core.cluster import ClusterSpec
from explorer.core.demo import ensure_demo_catalogue
from explorer.qt.heavy_jobs import HeavyJobsDialog, cluster_from_settings

pytest.importorskip("distributed", reason="the Dask distributed package is not installed")


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_the_choice_is_kept_and_read_back(qtbot, settings):
    assert cluster_from_settings(settings) is None  # in-process, as before
    dialog = HeavyJobsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.local.setChecked(True)
    dialog.workers.setValue(3)
    dialog.path_map.setPlainText("/data/imagenet=/mnt/imagenet\n")
    dialog.accept()
    assert dialog.result() == HeavyJobsDialog.DialogCode.Accepted
    assert cluster_from_settings(settings) == ClusterSpec(
        workers=3, path_map=(("/data/imagenet/", "/mnt/imagenet/"),)
    )
    again = HeavyJobsDialog(settings)  # opens on what was chosen
    qtbot.addWidget(again)
    assert again.local.isChecked() and again.workers.value() == 3
    again.cluster.setChecked(True)
    again.scheduler.setText(" tcp://10.0.0.5:8786 ")
    again.accept()
    assert cluster_from_settings(settings).scheduler == "tcp://10.0.0.5:8786"


def test_a_malformed_choice_is_said_and_not_kept(qtbot, settings):
    dialog = HeavyJobsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.cluster.setChecked(True)
    dialog.accept()
    assert "scheduler's address" in dialog.error.text()
    dialog.scheduler.setText("tcp://10.0.0.5:8786")
    dialog.path_map.setPlainText("no equals sign here")
    dialog.accept()
    assert "LOCAL=REMOTE" in dialog.error.text() and "--" not in dialog.error.text()
    assert dialog.result() != HeavyJobsDialog.DialogCode.Accepted
    assert cluster_from_settings(settings) is None


def test_the_window_audits_on_a_local_cluster(qtbot, taxonomy, tmp_path, session_data_dir):
    demo = ensure_demo_catalogue(tmp_path / "demo-data", nouns=taxonomy.graph)
    catalogue = private_copy(demo, tmp_path / "catalogue" / "demo.sqlite")
    window = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640))
    window.settings.setValue("heavy_jobs/where", "local")
    window.settings.setValue("heavy_jobs/workers", 1)
    window.open_catalogue(catalogue)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.catalogues.audit()
    assert window.busy_bar.busy
    assert "on a local Dask cluster of 1 process" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.busy_bar.busy, timeout=90_000)
    done = [m for m in messages if re.match(r"Audited (\d+) of \1 images; problems: ", m)]
    assert done and "Truncated 1" in done[0], messages[-3:]  # the demo's broken files
    window.close()
