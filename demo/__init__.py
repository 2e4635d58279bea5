"""`make demo`: Training Guard against a local AWS emulator, told in plain words."""
