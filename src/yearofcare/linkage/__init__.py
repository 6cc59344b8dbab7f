"""NHS number validation, keyed pseudonyms, opt-outs and the person spine."""
