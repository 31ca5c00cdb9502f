"""Generated code: do not edit; regenerate with protos/generate.py."""
