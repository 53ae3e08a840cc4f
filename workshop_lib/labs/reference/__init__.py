"""Reference solutions of the labs: one file per lab, named like the learner's file."""
