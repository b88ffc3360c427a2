"""Model architectures built from chainrule.nn layers."""
