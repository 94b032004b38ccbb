"""Models arrive with their issue; the app is in place so that the layout is stable."""
