"""The officers' web inbox (/inbox/ in `loket serve`)."""
