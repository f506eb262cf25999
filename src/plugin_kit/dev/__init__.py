"""The dev loop: a dev host that loads one plugin per runtime kind, and the watch loop that reloads it."""
