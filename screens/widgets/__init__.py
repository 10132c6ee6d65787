"""Reusable widgets of the erp-tui UI."""
