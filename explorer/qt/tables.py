"""A sortable, row-selecting table over a model: the coverage and curation tabs' tables."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QObject, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QTableView


def sortable_table(
    model: QAbstractItemModel, owner: QObject, sort_column: int
) -> tuple[QSortFilterProxyModel, QTableView]:
    """(proxy, view): the view sorts on the model's UserRole values, by ``sort_column`` first."""
    proxy = QSortFilterProxyModel(owner)
    proxy.setSourceModel(model)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    table = QTableView()
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    return proxy, table
