"""armemu's parts, one concern each; armemu.py is the server and the command line."""
