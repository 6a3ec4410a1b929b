"""The rehearsal: the demonstration partnership (``demo``), the walker that plays every part
of an audit through its gates (``walkthrough``), the showcase audits ``oscp up`` starts in a
demonstration home (``showcase``), and the preview that walks a throw-away copy of the
engine (``preview``). Nothing outside this package, the demo's commands and their tests
imports it (``tests/test_layers.py``)."""
