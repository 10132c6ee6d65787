"""Engine services: every configuration action of SPEC §4, used by both the UI and the CLI."""
