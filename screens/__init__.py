"""The Textual user interface of erp-tui (installed as erp_tui.screens)."""
