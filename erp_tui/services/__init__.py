"""Engine services: every configuration action of the source page, for the UI and the CLI."""
