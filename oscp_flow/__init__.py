"""How people use the engine: the command line (and, later, the web app and `oscp up`)."""
