"""The embedded demo support desk: a simulated company with behaviour profiles and a ground-truth log."""
