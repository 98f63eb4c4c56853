"""Counterpart identity: name keys, look-alike review, and merge/split/keep-apart decisions."""
