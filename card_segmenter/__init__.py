"""The command line and the app: the composition root above `segmenter` and `narratives`."""
